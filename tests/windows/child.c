/* A Windows command for the tests of `mfa-env exec` under Wine (tests/integration/windows.rs).
 *   child exit N          exit with status N
 *   child env NAME...     print NAME=value, or NAME unset, one per line
 *   child cat             copy stdin to stdout, then write "to stderr" on stderr
 *   child echo WORD...    print the words with a space between them, then a newline
 *   child wait-ctrl-c F   create file F once its Ctrl-C handler is in place, then wait up to
 *                         20 s for Ctrl-C: on it print "child-got-ctrl-c" and exit 42; without
 *                         it exit 99 (Wine's console puts escapes between the characters it
 *                         prints, so the test learns readiness from the file)
 *   child ...             with CHILD_WAIT_CTRL_C=F in the environment, whatever the arguments:
 *                         wait-ctrl-c F (for `mfa-env shell`, which chooses %SHELL%'s arguments)
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile LONG got_ctrl_c = 0;

static BOOL WINAPI on_ctrl(DWORD event) {
    if (event == CTRL_C_EVENT) {
        InterlockedExchange(&got_ctrl_c, 1);
        return TRUE;
    }
    return FALSE;
}

static int wait_ctrl_c(const char *ready_file) {
    SetConsoleCtrlHandler(on_ctrl, TRUE);
    FILE *ready = fopen(ready_file, "w");
    if (!ready) return 3;
    fclose(ready);
    for (int i = 0; i < 200; i++) {
        if (got_ctrl_c) {
            puts("child-got-ctrl-c");
            fflush(stdout);
            return 42;
        }
        Sleep(100);
    }
    return 99;
}

int main(int argc, char **argv) {
    if (getenv("CHILD_WAIT_CTRL_C")) {
        return wait_ctrl_c(getenv("CHILD_WAIT_CTRL_C"));
    }
    if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
        return atoi(argv[2]);
    }
    if (argc >= 2 && strcmp(argv[1], "env") == 0) {
        for (int i = 2; i < argc; i++) {
            const char *v = getenv(argv[i]);
            if (v) printf("%s=%s\n", argv[i], v);
            else printf("%s unset\n", argv[i]);
        }
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "cat") == 0) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
        fflush(stdout);
        fputs("to stderr\n", stderr);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "echo") == 0) {
        for (int i = 2; i < argc; i++) printf(i > 2 ? " %s" : "%s", argv[i]);
        putchar('\n');
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "wait-ctrl-c") == 0) {
        return wait_ctrl_c(argv[2]);
    }
    fputs("usage: child exit N | env NAME... | cat | echo WORD... | wait-ctrl-c FILE\n", stderr);
    return 2;
}
