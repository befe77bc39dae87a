/* wxpay spec lint [--spec-dir DIR]...: load every spec file eagerly and say what
 * loaded and what is broken, one line each, then a count. */
#include <stdio.h>
#include <string.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/sys/spec.h>

#include "cli_util.h"
#include "commands.h"

#define CMD "spec"

static int help(void)
{
    fputs("usage: wxpay spec lint [--spec-dir DIR]...\n"
          "\n"
          "Loads every spec file (.json, .yaml, .yml) of each DIR, or of the tree compiled\n"
          "into the library plus WXPAY_SPEC_PATH when no DIR is given, and prints\n"
          "  METHOD /path/{template}         for each endpoint loaded\n"
          "  FILE: KEY.PATH: what is wrong   for each broken file\n"
          "  N endpoints, M errors\n"
          "in a stable order (by path, then method).\n"
          "\n"
          "exit: 0 no errors; 1 at least one broken file; 2 a DIR that cannot be opened\n"
          "\n"
          "examples:\n"
          "  wxpay spec lint\n"
          "  wxpay spec lint --spec-dir spec --spec-dir my-endpoints\n",
          stdout);
    return CLI_EXIT_OK;
}

static void print_item(void *ud, const wx_lint_item_t *it)
{
    (void)ud;
    if (!it->is_error) {
        printf("%s %s\n", it->method, it->tmpl);
        return;
    }
    const char *where = it->where && *it->where ? it->where : NULL;
    if (where)
        printf("%s: %s: %s\n", it->file, where, it->message);
    else
        printf("%s: %s\n", it->file, it->message);
}

static int lint(int argc, char **argv)
{
    enum { OPT_SPEC_DIR };
    static const cli_option opts[] = {{"spec-dir", 0, 1, OPT_SPEC_DIR}, {0}};
    cli_strs dirs = {0};
    cli_parser p;
    cli_parser_init(&p, "spec lint", argc, argv, 2);
    int rc = CLI_EXIT_OK, k;
    while (rc == CLI_EXIT_OK && (k = cli_next(&p, opts)) != CLI_END) {
        if (k == CLI_HELP)
            rc = -1;
        else if (k == CLI_BAD)
            rc = CLI_EXIT_USAGE;
        else if (k == CLI_POSITIONAL)
            rc = cli_usage_error("spec lint", "unexpected argument \"%s\" (a folder goes after "
                                              "--spec-dir)", p.value);
        else if (cli_strs_add(&dirs, p.value) != 0)
            rc = cli_fail(CLI_EXIT_USAGE, "spec lint", "out of memory");
    }
    if (rc != CLI_EXIT_OK) {
        cli_strs_free(&dirs);
        return rc == -1 ? help() : rc;
    }
    /* Given folders are linted on their own: their author wants their files' verdict. */
    wx_spec_options_t so = {.dirs = dirs.items, .no_builtin = dirs.count > 0,
                            .no_env = dirs.count > 0};
    wx_spec_t *spec = NULL;
    wx_error_t err = {0};
    if (wx_spec_new(&so, &spec, &err) != WX_OK) {
        cli_strs_free(&dirs);
        return cli_fail_err(CLI_EXIT_USAGE, "spec lint", NULL, &err);
    }
    size_t endpoints = 0, errors = 0;
    wx_err e = wx_spec_lint(spec, print_item, NULL, &endpoints, &errors);
    printf("%zu endpoints, %zu errors\n", endpoints, errors); /* the exact form scripts read */
    wx_spec_free(spec);
    cli_strs_free(&dirs);
    if (e != WX_OK && e != WX_E_SPEC)
        return cli_fail(CLI_EXIT_USAGE, "spec lint", "%s", wx_strerror(e));
    return cli_finish(errors ? CLI_EXIT_FAIL : CLI_EXIT_OK);
}

int wx_cmd_spec(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(CMD, "missing a subcommand: lint");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return help();
    if (!strcmp(argv[1], "lint"))
        return lint(argc, argv);
    return cli_usage_error(CMD, "unknown subcommand \"%s\" (only lint)", argv[1]);
}
