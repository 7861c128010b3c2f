/* placeholder grammar: replaced by the real one */
%require "3.8"
%define api.pure full
%define api.prefix {pp}
%locations
%code requires { #include "compiler/parse.h" }
%param {void *scanner}
%code { static int pplex(PPSTYPE *v, PPLTYPE *l, void *s) { (void)v; (void)l; (void)s; return 0; }
        static void pperror(PPLTYPE *l, void *s, const char *m) { (void)l; (void)s; (void)m; } }
%token T_EOF 0 "end of file"
%%
file: %empty ;
%%
