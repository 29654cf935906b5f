using System.CommandLine;
using System.Text;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise completion bash|zsh|fish</c>: a completion script for the shell, generated from the command tree itself
/// (subcommands and options per command; file names where a path is expected), so it never lags behind the commands.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create(CliConsole console, Command root)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script: eval \"$(edgewise completion bash)\", or save it where the shell loads completions (docs/cli.md).") { shell };
        command.SetAction(r =>
        {
            var table = Table(root);
            console.Out.Write(r.GetValue(shell) switch
            {
                "zsh" => Zsh(table),
                "fish" => Fish(root),
                _ => Bash(table),
            });
            return 0;
        });
        return command;
    }

    /// <summary>Every command path ("edgewise", "edgewise bench", …) with the words that may follow it.</summary>
    internal static SortedDictionary<string, string> Table(Command root)
    {
        var table = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Walk(Command c, string path)
        {
            var words = c.Subcommands.Where(s => !s.Hidden).Select(s => s.Name)
                .Concat(c.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(a => a.StartsWith('-') && a != "-?"))
                .Append("--help").Distinct(StringComparer.Ordinal);
            table[path] = string.Join(' ', words);
            foreach (var s in c.Subcommands.Where(s => !s.Hidden))
            {
                Walk(s, path + " " + s.Name);
            }
        }

        Walk(root, "edgewise");
        return table;
    }

    private static string Bash(SortedDictionary<string, string> table)
    {
        var b = new StringBuilder();
        b.Append("# bash completion for edgewise: eval \"$(edgewise completion bash)\"\n");
        b.Append("declare -A _edgewise_words=(\n");
        foreach (var (path, words) in table)
        {
            b.Append("  [\"").Append(path).Append("\"]=\"").Append(words).Append("\"\n");
        }

        b.Append(")\n");
        b.Append("""
            _edgewise() {
              local cur="${COMP_WORDS[COMP_CWORD]}" cmd="edgewise" i w
              for ((i = 1; i < COMP_CWORD; i++)); do
                w="${COMP_WORDS[i]}"
                [[ "$w" == -* ]] && continue
                [[ -n "${_edgewise_words["$cmd $w"]+set}" ]] && cmd="$cmd $w"
              done
              COMPREPLY=($(compgen -W "${_edgewise_words["$cmd"]}" -- "$cur"))
            }
            complete -o default -o bashdefault -F _edgewise edgewise

            """);
        return b.ToString();
    }

    private static string Zsh(SortedDictionary<string, string> table)
    {
        var b = new StringBuilder();
        b.Append("#compdef edgewise\n# zsh completion for edgewise: save as _edgewise in a folder of $fpath, or eval \"$(edgewise completion zsh)\"\n");
        b.Append("_edgewise() {\n  local -A words_for\n  words_for=(\n");
        foreach (var (path, words) in table)
        {
            b.Append("    '").Append(path).Append("' '").Append(words).Append("'\n");
        }

        b.Append("""
              )
              local cmd=edgewise w
              for w in ${words[2,CURRENT-1]}; do
                [[ $w == -* ]] && continue
                (( ${+words_for[$cmd $w]} )) && cmd="$cmd $w"
              done
              compadd -- ${=words_for[$cmd]}
              _files
            }
            if (( $+functions[compdef] )); then compdef _edgewise edgewise; fi

            """);
        return b.ToString();
    }

    private static string Fish(Command root)
    {
        var b = new StringBuilder();
        b.Append("# fish completion for edgewise: edgewise completion fish > ~/.config/fish/completions/edgewise.fish\n");
        b.Append("complete -c edgewise -f\n");
        foreach (var c in root.Subcommands.Where(s => !s.Hidden))
        {
            b.Append("complete -c edgewise -n __fish_use_subcommand -a ").Append(c.Name).Append(" -d ").Append(Quote(c.Description)).Append('\n');
            foreach (var s in c.Subcommands.Where(s => !s.Hidden))
            {
                b.Append("complete -c edgewise -n '__fish_seen_subcommand_from ").Append(c.Name).Append("' -a ").Append(s.Name).Append(" -d ").Append(Quote(s.Description)).Append('\n');
            }

            foreach (var o in c.Subcommands.Where(s => !s.Hidden).SelectMany(s => s.Options).Concat(c.Options).Where(o => !o.Hidden).DistinctBy(o => o.Name))
            {
                b.Append("complete -c edgewise -n '__fish_seen_subcommand_from ").Append(c.Name).Append("' -l ").Append(o.Name.TrimStart('-'));
                foreach (var alias in o.Aliases.Where(a => a.Length == 2 && a[0] == '-'))
                {
                    b.Append(" -s ").Append(alias[1]);
                }

                b.Append(" -r -F -d ").Append(Quote(o.Description)).Append('\n');
            }
        }

        return b.ToString();
    }

    private static string Quote(string? text) => "'" + (text ?? string.Empty).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
