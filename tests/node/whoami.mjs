// GetCallerIdentity through the JS SDK v3's default credential chain: prints the caller's ARN.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const reply = await new STSClient({}).send(new GetCallerIdentityCommand({}));
console.log(reply.Arn);
