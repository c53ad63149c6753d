#!/usr/bin/env python3
"""The man page and the shell completions against the program's own --help: for every command
(`barrage`, and each that apps/main.cpp dispatches), every long option --help lists is in that
command's part of the rendered man page, is offered by the bash completion after `--`, and is
given to zsh's _arguments by the zsh completion. The page renders without groff warnings; a
file option completes file names, a value option nothing; the build's own barrage.1 is what the
generator makes from this binary.

  manual_test.py BARRAGE SOURCE_DIR BUILD_DIR

The option lists are read here from --help directly (the first word of each option line), not
through the generator's parser, so a parser that drops an option fails this test. Offline; a
few seconds.
"""
import os
import re
import subprocess
import sys
import tempfile

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)
    return p.returncode, p.stdout, p.stderr


def dispatched_commands(source):
    """The subcommands apps/main.cpp dispatches on its first argument."""
    with open(os.path.join(source, "apps/main.cpp")) as f:
        names = re.findall(r'first == "([a-z][a-z0-9-]*)"', f.read())
    return [n for n in dict.fromkeys(names) if n not in ("version", "run")]


def long_options(barrage, path):
    """The long names of each option line of `barrage PATH --help` ("  -c,--connections N=50 ...")."""
    code, out, err = run([barrage] + path + ["--help"])
    assert code == 0, f"barrage {' '.join(path)} --help exited {code}: {err}"
    names = []
    for line in out.split("\n"):
        m = re.match(r"^  (-\S*)", line)
        if m:
            names += [n for n in m.group(1).split(",") if n.startswith("--")]
    return names


def rendered_sections(page):
    """The page as text (groff, ASCII, wide lines), split into the run command's part and one per
    subcommand ("   barrage serve" headings under COMMANDS)."""
    code, text, err = run(["groff", "-man", "-Tascii", "-P-cbou", "-rLL=250n", "-ww", page])
    check(code == 0 and not err.strip(), f"groff renders the page without warnings {err.strip()[:300]}")
    head, _, commands = text.partition("\nCOMMANDS\n")
    sections = {"": head}
    for part in re.split(r"\n(?=   barrage \S+( \S+)?\n)", commands):
        if part and part.startswith("   barrage "):
            title, _, body = part.partition("\n")
            sections[title.strip()[len("barrage "):]] = body
    return sections


BASH_DRIVER = r'''
source "$1"; shift
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _barrage; printf '%s\n' "${COMPREPLY[@]}"; }
complete_words "$@"
'''


def bash_complete(completion, words):
    code, out, err = run(["bash", "-c", BASH_DRIVER, "bash", completion] + words)
    assert code == 0, f"bash completion of {words} failed: {err}"
    return [w for w in out.split("\n") if w]


ZSH_DRIVER = r'''
_arguments() { print -rl -- "$@" }
_describe() { print -rl -- "${(@P)4}" }
_urls() { print -- urls }
_files() { print -- files }
CURRENT=$#; words=("$@"); PREFIX=${words[-1]}
source $COMPLETION
'''


def zsh_specs(completion, words):
    code, out, err = run(["zsh", "-f", "-c", ZSH_DRIVER] + ["zsh"] + words,
                         env=dict(os.environ, COMPLETION=completion))
    assert code == 0, f"zsh completion of {words} failed: {err}"
    # "(-c --connections)--connections[...]:n: " and "*--header[...]" name their option.
    return [re.sub(r"^(\([^)]*\))?\*?", "", line).split("[")[0] for line in out.split("\n")]


def check_command(barrage, path, sections, files):
    title = " ".join(["barrage"] + path)
    options = long_options(barrage, path)
    check(len(options) > 1, f"{title} --help lists long options ({len(options)})")
    section = sections.get(" ".join(path))
    if not check(section is not None, f"the man page has a section for {title}"):
        return
    missing = [o for o in options if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w.-])", section)]
    check(not missing, f"the man page's {title} section names each of its {len(options)} long options {missing}")
    offered = bash_complete(files["bash"], ["barrage"] + path + ["--"])
    missing = [o for o in options if o not in offered]
    check(not missing, f"bash completes each option of {title} after -- {missing}")
    specs = zsh_specs(files["zsh"], ["barrage"] + path + [""])
    missing = [o for o in options if o not in specs]
    check(not missing, f"the zsh completion gives _arguments each option of {title} {missing}")


def check_values(files, tmp):
    target = os.path.join(tmp, "cert-for-completion.pem")
    open(target, "w").close()
    got = bash_complete(files["bash"], ["barrage", "serve", "--tls-cert", target[:-4]])
    check(got == [target], f"bash completes a file name after serve --tls-cert: {got}")
    got = bash_complete(files["bash"], ["barrage", "http://127.0.0.1/", "-c", ""])
    check(got == [], f"bash offers nothing after -c, which takes a number: {got}")
    got = bash_complete(files["bash"], ["barrage", "se"])
    check(got == ["serve"], f"bash completes the command `se` to serve: {got}")


def main():
    barrage, source, build = sys.argv[1:4]
    generator = os.path.join(source, "packaging/manual.py")
    commands = dispatched_commands(source)
    check({"serve", "demo"} <= set(commands), f"apps/main.cpp dispatches serve and demo: {commands}")
    with tempfile.TemporaryDirectory() as tmp:
        files = {k: os.path.join(tmp, n) for k, n in (("man", "barrage.1"), ("bash", "barrage.bash"), ("zsh", "_barrage"))}
        code, out, err = run([sys.executable, generator, barrage, "--man", files["man"],
                              "--bash", files["bash"], "--zsh", files["zsh"]])
        if not check(code == 0, f"manual.py makes the page and completions {err.strip()}"):
            return
        sections = rendered_sections(files["man"])
        for path in [[]] + [[c] for c in commands]:
            check_command(barrage, path, sections, files)
        offered = bash_complete(files["bash"], ["barrage", ""])
        check(set(commands) <= set(offered), f"bash offers every command after barrage: {offered}")
        check_values(files, tmp)
        code, _, err = run(["zsh", "-n", files["zsh"]])
        check(code == 0, f"zsh parses the completion {err.strip()}")
        built = os.path.join(build, "manual", "barrage.1")
        if os.path.exists(built):
            with open(built) as a, open(files["man"]) as b:
                check(a.read() == b.read(), f"{built} is the page made from this binary")
        else:
            print(f"note: no {built} (a build of selected targets): only the generator's output checked")
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
