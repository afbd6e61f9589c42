/* commands.h — one entry point per subcommand. Each takes the arguments after
 * the subcommand name (argv[0] is the subcommand) and returns an exit code;
 * on failure it leaves the reason in err_message() for main to print. */
#pragma once

int cmd_build(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_userdata(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_render(int argc, char **argv);
