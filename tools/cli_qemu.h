/*
 * cli_qemu.h - the "ringside qemu" command (cli_qemu.c), for the command
 * table in ringside.c.
 */
#ifndef RINGSIDE_TOOLS_CLI_QEMU_H
#define RINGSIDE_TOOLS_CLI_QEMU_H

#include <stdio.h>

int cli_qemu(int argc, char **argv);
void cli_qemu_usage(FILE *out);

#endif /* RINGSIDE_TOOLS_CLI_QEMU_H */
