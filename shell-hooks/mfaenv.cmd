@echo off
rem mfaenv wrapper for cmd.exe. Save it once, in a folder that comes before
rem mfaenv.exe on PATH:
rem     mfaenv init cmd > "%USERPROFILE%\bin\mfaenv.cmd"
rem Then `mfaenv login` / `mfaenv logout` change this cmd session, and the
rem prompt shows when the session ends, in UTC: [aws:work until 15:47Z].
rem cmd cannot do arithmetic on times in its prompt, so it shows the clock
rem time the session ends instead of the time left; logout restores PROMPT.
rem MFAENV_AUTO_LOGIN does nothing here: cmd runs no code before a prompt.
rem No setlocal: the variables must reach the calling session.
rem The subcommand may follow --debug (`mfaenv --debug login`); %* passes it
rem on where the user wrote it, and `--shell cmd` goes last (cmd cannot cut %*).
set "_mfaenv_verb=%~1"
if /i "%~1"=="--debug" set "_mfaenv_verb=%~2"
if /i "%_mfaenv_verb%"=="login" goto apply
if /i "%_mfaenv_verb%"=="logout" goto apply
set "_mfaenv_verb="
mfaenv.exe %*
exit /b %ERRORLEVEL%

:apply
rem A failure exits 1 here whatever mfaenv's own code was (for /f hides it);
rem the reason is on stderr. Each output line is one `set "K=V"` statement; mfaenv refuses values
rem with characters cmd would re-read (%% ! ^ & and quotes), and prints
rem nothing at all when it fails, so a failed login applies nothing.
set "_mfaenv_lines="
for /f "delims=" %%i in ('mfaenv.exe %* --shell cmd') do (
    %%i
    set "_mfaenv_lines=1"
)
if /i "%_mfaenv_verb%"=="logout" goto after_logout
set "_mfaenv_verb="
if not defined _mfaenv_lines (
    set "_mfaenv_lines="
    exit /b 1
)
set "_mfaenv_lines="
rem PROMPT and MFAENV_SAVED_PROMPT may come from anywhere: a `"` in one would
rem end the quotes below and let `&` start a command, so their quotes are
rem dropped as they expand (`%%X:"=%%`). MFAENV_PROFILE and the expiry were
rem just set from mfaenv's output, which holds no such character.
if not defined MFAENV_SAVED_PROMPT set "MFAENV_SAVED_PROMPT=%PROMPT:"=%"
if not defined MFAENV_SAVED_PROMPT set "MFAENV_SAVED_PROMPT=$P$G"
set "PROMPT=[aws:%MFAENV_PROFILE% until %AWS_CREDENTIAL_EXPIRATION:~11,5%Z] %MFAENV_SAVED_PROMPT:"=%"
exit /b 0

:after_logout
set "_mfaenv_verb="
rem No statements while a session is still set: logout failed (its message
rem is on stderr); keep the prompt, which still tells the truth.
if not defined _mfaenv_lines if defined MFAENV_PROFILE exit /b 1
set "_mfaenv_lines="
if defined MFAENV_SAVED_PROMPT set "PROMPT=%MFAENV_SAVED_PROMPT:"=%"
set "MFAENV_SAVED_PROMPT="
exit /b 0
