// Decides requests against IAM identity policies with a real evaluator
// (@cloud-copilot/iam-simulate). stdin: {"policies": [...], "requests": [{
// "action", "resource", "context"}]}; stdout: one decision per request
// ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied"), or "error: ..." when
// the evaluator refuses the input.
const { runSimulation } = require('@cloud-copilot/iam-simulate');

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const { policies, requests } = JSON.parse(text);
  const out = [];
  for (const r of requests) {
    const response = await runSimulation({
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: r.action,
        principal: r.principal,
        resource: { resource: r.resource, accountId: '123456789012' },
        contextVariables: r.context,
      },
    }, {});
    out.push(response.resultType === 'error' ? `error: ${JSON.stringify(response.errors)}` : response.overallResult);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { process.stderr.write(String(e) + '\n'); process.exit(1); });
