#!/usr/bin/env python3
"""barrage's man page and shell completions, made from the built program's own --help.

    manual.py BARRAGE [--man FILE] [--bash FILE] [--zsh FILE]

Nothing here restates an option: every name, argument and sentence comes from running BARRAGE,
so the page and the completions cannot disagree with --help.
- The subcommands are those of the usage text `barrage` prints with no arguments (apps/main.cpp:
  every command adds its line there), so a new command is documented without a change here.
- Each command's text is `barrage CMD --help` (CLI11's layout: a description, "Usage:",
  "Positionals:"/"Options:"/"Subcommands:" blocks, then notes); a command with a
  "Subcommands:" block has each of them documented too (`barrage CMD SUB --help`).
A command whose --help fails fails the generator (and the build): the page is never partial.
"""
import argparse
import dataclasses
import re
import subprocess
import sys

# A block's heading: "Options:", "Positionals:", "Subcommands:", or an option group's name.
SECTION = re.compile(r"^([A-Z][A-Za-z0-9 /-]*):$")
USAGE_COMMAND = re.compile(r"^\s*(?:usage:\s*)?barrage\s+([a-z][a-z0-9-]*)\b")
# The column where CLI11 starts an option's description (its formatter's column_width).
DESCRIPTION_COLUMN = 30


@dataclasses.dataclass
class Option:
    names: list      # ["-c", "--connections"]; a positional: ["url"]
    arg: str         # "N=50", "TEXT ...", "" for a flag
    text: str        # the description, continuation lines joined

    def long_names(self):
        return [n for n in self.names if n.startswith("--")]

    def takes_value(self):
        return bool(self.arg)

    def value_kind(self):
        """What a shell should offer as the value: "file", "" (free text) or None (a flag)."""
        if not self.arg:
            return None
        return "file" if self.arg.split("=")[0].split()[0] in ("FILE", "DIR") else ""


@dataclasses.dataclass
class Command:
    path: list       # [] for `barrage` (the run command), ["serve"], ["k8s", "collect"]
    about: list      # description lines, before "Usage:"
    usage: str
    positionals: list
    options: list
    children: list   # names listed under "Subcommands:"
    notes: list      # lines after the last block (exit status, environment, ...)
    summary: str = ""  # a top-level command's line in the usage text

    def title(self):
        return " ".join(["barrage"] + self.path)


def run(argv):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout, done.stderr


def help_text(barrage, path):
    code, out, err = run([barrage] + path + ["--help"])
    if code != 0 or "Usage:" not in out:
        sys.exit(f"manual.py: `{' '.join(['barrage'] + path + ['--help'])}` exited {code}: {err.strip()}")
    return out


def parse_entry(line, section, alone):
    """"  -c,--connections N=50       text": CLI11 pads the spec to DESCRIPTION_COLUMN; a spec
    as long or longer is alone on its line (`alone`), its text on the next, indented one."""
    if not alone and len(line) > DESCRIPTION_COLUMN:
        spec, text = line[:DESCRIPTION_COLUMN].strip(), line[DESCRIPTION_COLUMN:].strip()
    else:
        spec, text = line.strip(), ""
    head, _, arg = spec.partition(" ")
    if section == "Positionals":
        return Option([head], arg.strip(), text)
    return Option(head.split(","), arg.strip(), text)


def is_heading(body, i):
    """A block's heading is followed by an entry (indented by two)."""
    after = body[i + 1] if i + 1 < len(body) else ""
    return SECTION.match(body[i]) and after.startswith("  ") and after[2:3] not in ("", " ")


def parse_help(path, text):
    """CLI11's --help, block by block (the layout is described at the top of this file)."""
    lines = text.rstrip("\n").split("\n")
    at = next(i for i, l in enumerate(lines) if l.startswith("Usage:"))
    cmd = Command(path, lines[:at], lines[at][len("Usage:"):].strip(), [], [], [], [])
    section, last = None, None
    body = lines[at + 1:]
    for i, line in enumerate(body):
        if is_heading(body, i):
            section, last = line[:-1], None
        elif not line.strip():
            last = None
            if section and (cmd.options or cmd.positionals or cmd.children):
                section = "notes"
        elif section == "notes" or section is None:
            cmd.notes.append(line)
        elif line.startswith("   ") and last is not None:
            last.text = (last.text + " " + line.strip()).strip()
        elif section == "Subcommands":
            cmd.children.append(line.split()[0])
        else:
            alone = i + 1 < len(body) and body[i + 1].startswith(" " * DESCRIPTION_COLUMN)
            last = parse_entry(line, section, alone)
            (cmd.positionals if section == "Positionals" else cmd.options).append(last)
    return cmd


def usage_lines(barrage):
    """The usage text `barrage` prints when run with nothing, line by line: the synopsis
    ("barrage serve [options]") and, after two spaces, what the command does."""
    _, out, err = run([barrage])
    lines = []
    for line in (out + err).split("\n"):
        if re.match(r"^\s*(?:usage:\s*)?barrage\b", line):
            synopsis, _, summary = re.sub(r"^\s*(?:usage:\s*)?", "", line).partition("  ")
            lines.append((synopsis.strip(), summary.strip()))
    if not lines:
        sys.exit(f"manual.py: no usage text from `{barrage}` run alone: {out}{err}")
    return lines


def all_commands(barrage):
    """`barrage` (the run command) first, then each command of the usage text (in its order)
    and their own subcommands; each with the usage text's summary of it."""
    summaries = {}
    for synopsis, summary in usage_lines(barrage):
        m = USAGE_COMMAND.match(synopsis)
        summaries.setdefault(m.group(1) if m else "", summary)
    out, todo = [], [[]] + [[name] for name in summaries if name]
    while todo:
        path = todo.pop(0)
        cmd = parse_help(path, help_text(barrage, path))
        cmd.summary = summaries.get(path[0], "") if len(path) == 1 else ""
        out.append(cmd)
        todo[0:0] = [path + [child] for child in cmd.children]
    return out


# ---- roff -------------------------------------------------------------------------------------

def roff(text):
    """Text for a roff line: backslashes, hyphens (so options copy as ASCII) and leading dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def paragraphs(lines):
    """Wrapped lines into paragraphs: a line that starts with a capital after one that ends a
    sentence starts a new paragraph; indented lines (a listing) are kept as they are."""
    out, para, listing = [], [], []
    def flush_para():
        if para:
            out.extend([".PP", roff(" ".join(para))])
            para.clear()
    def flush_listing():
        if listing:
            out.extend([".PP", ".nf"] + [roff(l) for l in listing] + [".fi"])
            listing.clear()
    for line in lines:
        if not line.strip():
            flush_para(), flush_listing()
        elif line.startswith("  "):
            flush_para()
            listing.append(line.rstrip())
        else:
            flush_listing()
            if para and para[-1].rstrip().endswith((".", ":")) and line[:1].isupper():
                flush_para()
            para.append(line.strip())
    flush_para(), flush_listing()
    return out


def option_entry(opt):
    names = ", ".join(f"\\fB{roff(n)}\\fR" for n in opt.names)
    arg = ""
    if opt.arg:
        value, eq, default = opt.arg.partition("=")
        arg = f" \\fI{roff(value)}\\fR" + (f"={roff(default)}" if eq else "")
    return [".TP", names + arg, roff(opt.text) if opt.text else "\\&"]


def command_body(cmd, heading):
    about = list(cmd.about)
    if about and about[0].startswith(cmd.title() + ":"):
        about[0] = about[0][len(cmd.title()) + 1:].strip()
    out = paragraphs(about)
    if cmd.path:
        out += [heading("Usage"), ".PP", f"\\fB{roff(cmd.title())}\\fR" + roff(cmd.usage[len(cmd.title()):])]
    if cmd.positionals:
        out.append(heading("Arguments"))
        for p in cmd.positionals:
            out += option_entry(p)
    if cmd.options:
        out.append(heading("Options"))
        for o in cmd.options:
            out += option_entry(o)
    if cmd.children:
        out += [heading("Commands"), ".PP", roff(", ".join(f"{cmd.title()} {c}" for c in cmd.children))]
    if cmd.notes:
        out.append(heading("Notes"))
        out += paragraphs(cmd.notes)
    return out


def man_page(barrage, commands):
    version = run([barrage, "--version"])[1].strip()
    run_cmd, others = commands[0], commands[1:]
    summary = run_cmd.about[0][len("barrage:"):].strip() if run_cmd.about else "HTTP load generator"
    summary = summary.split(".")[0]
    out = [f'.\\" Generated by packaging/manual.py from `barrage --help`: edit the help text, not this.',
           f'.TH BARRAGE 1 "" "{roff(version)}" "User Commands"', ".nh", ".ad l",
           ".SH NAME", f"barrage \\- {roff(summary)}", ".SH SYNOPSIS", ".nf"]
    out += [f"\\fBbarrage\\fR" + roff(line[len("barrage"):]) for line, _ in usage_lines(barrage)]
    out += [".fi", ".SH DESCRIPTION"]
    out += command_body(run_cmd, lambda h: ".SH " + ("OPTIONS" if h == "Options" else h.upper()))
    out.append(".SH COMMANDS")
    for cmd in others:
        out += [f".SS {roff(cmd.title())}"]
        out += command_body(cmd, lambda h: f".PP\n\\fB{h}\\fR")
    out += [".SH SEE ALSO", roff("The README and docs/*.md in /usr/share/doc/barrage "
                                 "(the JSON report: report.md and report.schema.json)."), ""]
    return "\n".join(out)


# ---- bash -------------------------------------------------------------------------------------

def bash_words(cmd):
    words, files, values = [], [], []
    for o in cmd.options:
        words += o.names
        if o.value_kind() == "file":
            files += o.names
        elif o.takes_value():
            values += o.names
    return " ".join(words), " ".join(files), " ".join(values)


def bash_completion(commands):
    top = [c.path[0] for c in commands if len(c.path) == 1]
    pattern = "|".join(top) or "''"
    out = ["# bash completion for barrage. Generated by packaging/manual.py from `barrage --help`.",
           "_barrage() {",
           "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=run i=1",
           "  # The command is the first word (barrage URL is `barrage run URL`), then its subcommands.",
           f'  case ${{COMP_WORDS[1]:-}} in {pattern}) cmd=${{COMP_WORDS[1]}}; i=2 ;; run) i=2 ;; esac',
           "  while ((i < COMP_CWORD)); do",
           "    case \"$cmd ${COMP_WORDS[i]}\" in"]
    for c in commands:
        for child in c.children:
            out.append(f'      "{" ".join(c.path)} {child}") cmd="$cmd {child}"; ((i++)); continue ;;')
    out += ["    esac", "    break", "  done",
            '  local words="" files="" values=""', "  case $cmd in"]
    for c in commands:
        words, files, values = bash_words(c)
        key = " ".join(c.path) or "run"
        out.append(f"    '{key}') words='{words}'; files='{files}'; values='{values}' ;;")
    out += ["  esac",
            "  # After an option that takes a file: files; after another that takes a value: nothing.",
            '  if [[ " $files " == *" $prev "* ]]; then',
            '    COMPREPLY=($(compgen -f -- "$cur")); return',
            "  fi",
            '  if [[ " $values " == *" $prev "* ]]; then COMPREPLY=(); return; fi',
            '  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); return; fi',
            f'  if ((COMP_CWORD == 1)); then COMPREPLY=($(compgen -W "run {" ".join(top)}" -- "$cur")); fi',
            "}",
            "complete -F _barrage barrage", ""]
    return "\n".join(out)


# ---- zsh --------------------------------------------------------------------------------------

def zsh_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def zsh_spec(opt):
    """One _arguments spec: (exclusions){names}[description]:value:action."""
    about = re.sub(r"[\[\]:\\]", lambda m: "\\" + m.group(0), opt.text)
    value = ""
    if opt.takes_value():
        name = opt.arg.split("=")[0].split()[0].lower().replace(":", "\\:")
        value = f":{name}:" + ("_files" if opt.value_kind() == "file" else " ")
    repeat = "*" if opt.arg.endswith("...") else ""
    if len(opt.names) == 1:
        return zsh_quote(f"{repeat}{opt.names[0]}[{about}]{value}")
    group = "(" + " ".join(opt.names) + ")" if not repeat else ""
    return zsh_quote(group + repeat) + "{" + ",".join(opt.names) + "}" + zsh_quote(f"[{about}]{value}")


def zsh_function(cmd):
    name = "_barrage_" + ("_".join(cmd.path) or "run")
    out = [f"{name}() {{"]
    if cmd.children:
        described = " ".join(zsh_quote(f"{c}:{' '.join(cmd.path)} {c}") for c in cmd.children)
        out += [f"  if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then",
                f"    local -a subs=({described}); _describe -t commands 'command' subs; return",
                "  fi",
                "  case $words[2] in"]
        for c in cmd.children:
            out.append(f"    {c}) shift words; (( CURRENT-- )); {name}_{c}; return ;;")
        out.append("  esac")
    specs = [zsh_spec(o) for o in cmd.options]
    specs += [zsh_quote(f":{p.names[0]}:" + ("_urls" if p.names[0] == "url" else " ")) for p in cmd.positionals]
    out.append("  _arguments -s -S \\")
    out += [f"    {s} \\" for s in specs]
    out[-1] = out[-1][:-2]
    out.append("}")
    return out


def zsh_completion(commands):
    top = [c for c in commands if len(c.path) == 1]
    described = " ".join(zsh_quote(f"{c.path[0]}:" + c.summary.replace(":", "\\:")) for c in top)
    out = ["#compdef barrage", "# zsh completion for barrage. Generated by packaging/manual.py from `barrage --help`."]
    for c in commands:
        out += zsh_function(c)
    out += ["_barrage() {",
            "  # The command is the first word; anything else is `barrage [run] URL`.",
            "  case $words[2] in"]
    for c in top + [Command(["run"], [], "", [], [], [], [])]:
        target = "_barrage_" + c.path[0]
        out.append(f"    {c.path[0]}) shift words; (( CURRENT-- )); {target}; return ;;")
    out += ["  esac",
            "  if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then",
            f"    local -a cmds=({described} 'run:load test a URL')",
            "    _describe -t commands 'barrage command' cmds",
            "  fi",
            "  _barrage_run",
            "}",
            '_barrage "$@"', ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("barrage")
    ap.add_argument("--man")
    ap.add_argument("--bash")
    ap.add_argument("--zsh")
    args = ap.parse_args()
    commands = all_commands(args.barrage)
    for path, text in ((args.man, lambda: man_page(args.barrage, commands)),
                       (args.bash, lambda: bash_completion(commands)),
                       (args.zsh, lambda: zsh_completion(commands))):
        if path:
            with open(path, "w") as f:
                f.write(text())


if __name__ == "__main__":
    main()
