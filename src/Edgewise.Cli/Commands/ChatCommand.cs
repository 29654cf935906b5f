using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Commands;

/// <summary>
/// <c>edgewise run [MODEL] [PROMPT]</c>: an interactive streaming chat in the terminal, or one answer to PROMPT. With no
/// model, the general-purpose model <c>doctor</c> recommends for this machine is pulled (with a progress bar) and used.
/// </summary>
internal static class ChatCommand
{
    private const string Help = "Commands: /bye leaves, /clear forgets the conversation, /set parameter NAME VALUE (temperature, top_k, top_p, seed, num_predict, presence_penalty, frequency_penalty), /set system TEXT, /show info|parameters|system, /help shows this. End a line with \\ or wrap text in \"\"\" for several lines. Ctrl+C stops the current answer.";

    private static readonly string[] s_parameters = ["temperature", "top_k", "top_p", "seed", "num_predict", "presence_penalty", "frequency_penalty"];

    public static Command Create(CliConsole console)
    {
        var model = new Argument<string?>("model") { Description = "A GGUF file path, a store name, a catalog name (qwen2.5:0.5b, llama3.2) or hf.co/OWNER/REPO; pulled when missing. Default: the model 'edgewise doctor' recommends for this machine.", Arity = ArgumentArity.ZeroOrOne };
        var prompt = new Argument<string[]>("prompt") { Description = "Answer this prompt once and exit (no chat).", Arity = ArgumentArity.ZeroOrMore };
        var system = new Option<string?>("--system") { Description = "System prompt." };
        var temperature = new Option<float?>("--temp") { Description = "Temperature (default 0.8; 0 = greedy)." };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed." };
        var maxTokens = new Option<int?>("-n", "--max-tokens") { Description = "Most tokens per answer." };
        var verbose = new Option<bool>("--verbose") { Description = "Print prompt and generation token counts and tokens/s after each answer." };
        var (ctx, threads, kv) = EngineCommands.RuntimeOptions();
        var command = new Command("run", "Chat with a model in the terminal, or answer one prompt.") { model, prompt, system, temperature, seed, maxTokens, verbose, ctx, threads, kv };
        command.SetAction(async (r, cancel) =>
        {
            CliModelHost host;
            IChatClient client;
            string path;
            int contextLength;
            try
            {
                var source = r.GetValue(model) ?? RecommendedModel(console);
                path = Path.GetFullPath(ModelStoreCommands.ResolveModelPath(source, console, cancel));
                var name = File.Exists(source) ? Path.GetFileNameWithoutExtension(source) : source;
                host = CliModelHost.ForFile(name, path, EngineCommands.Settings(r, ctx, threads, kv), console, cancel);
                try
                {
                    client = host.Get(name);
                    contextLength = (client.GetService(typeof(Context)) as Context)?.ContextLength ?? 0;
                }
                catch
                {
                    host.Dispose();
                    throw;
                }
            }
            catch (Exception e) when (e is Gguf.InvalidModelFileException or CliException or Models.ModelException)
            {
                return ModelStoreCommands.Guard(console, () => throw e);
            }

            using (host)
            {
                var options = new ChatOptions { Temperature = r.GetValue(temperature), Seed = r.GetValue(seed), MaxOutputTokens = r.GetValue(maxTokens) };
                var settings = new ChatLoopSettings { Verbose = r.GetValue(verbose), Info = () => Info(path, contextLength) };
                using var keys = new CtrlC();
                var once = string.Join(' ', r.GetValue(prompt) ?? []);
                if (once.Length > 0)
                {
                    await AnswerOnceAsync(client, once, console.Out, console.Error, options, r.GetValue(system), settings, keys).ConfigureAwait(false);
                    return 0;
                }

                await RunLoopAsync(client, Console.In, console.Out, options, r.GetValue(system), keys, settings).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The general-purpose catalog model <c>doctor</c> recommends for this machine, as NAME:QUANT.</summary>
    internal static string RecommendedModel(CliConsole console)
    {
        var recommendation = StoreDoctor.Recommend(Models.Catalog.CatalogTags.General, measure: true, CancellationToken.None);
        if (recommendation.Alias is null)
        {
            throw new Models.ModelException(Models.ModelErrorCodes.InsufficientMemory, "No catalog model fits this machine's memory; name a model file: edgewise run FILE.gguf.");
        }

        console.Error.WriteLine($"Using {recommendation.Alias}:{recommendation.Quant}, the general-purpose model 'edgewise doctor' recommends for this machine (name another: edgewise run MODEL).");
        return recommendation.Alias + ":" + recommendation.Quant;
    }

    /// <summary>One answer to <paramref name="prompt"/>, streamed, then a newline.</summary>
    internal static async Task AnswerOnceAsync(IChatClient client, string prompt, TextWriter output, TextWriter error, ChatOptions options, string? system, ChatLoopSettings settings, IAnswerCancellation cancellation)
    {
        var history = new List<ChatMessage>();
        Reset(history, system);
        history.Add(new ChatMessage(ChatRole.User, prompt));
        await AnswerAsync(client, history, output, error, options, settings, cancellation).ConfigureAwait(false);
    }

    /// <summary>The read–answer loop; separate from the console so tests can drive it.</summary>
    internal static async Task RunLoopAsync(IChatClient client, TextReader input, TextWriter output, ChatOptions options, string? system, IAnswerCancellation cancellation, ChatLoopSettings? settings = null)
    {
        settings ??= new ChatLoopSettings();
        var history = new List<ChatMessage>();
        Reset(history, system);
        output.WriteLine(Help);
        while (true)
        {
            output.Write(">>> ");
            output.Flush();
            var text = await ReadMessageAsync(input, output).ConfigureAwait(false);
            if (text is null || text.Trim() == "/bye")
            {
                return;
            }

            var trimmed = text.Trim();
            switch (trimmed)
            {
                case "":
                    continue;
                case "/clear":
                    Reset(history, system);
                    output.WriteLine("(conversation cleared)");
                    continue;
                case "/help" or "/?":
                    output.WriteLine(Help);
                    continue;
            }

            if (trimmed.StartsWith("/set ", StringComparison.Ordinal) || trimmed == "/set")
            {
                var words = trimmed.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (words.Length == 3 && words[1] == "system")
                {
                    system = words[2].Trim('"');
                    Reset(history, system, keepTurns: true);
                    output.WriteLine("Set system message.");
                }
                else if (words.Length == 3 && words[1] == "parameter")
                {
                    var nameValue = words[2].Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    output.WriteLine(nameValue.Length == 2 ? SetParameter(options, nameValue[0], nameValue[1]) : "Usage: /set parameter NAME VALUE");
                }
                else
                {
                    output.WriteLine("Usage: /set parameter NAME VALUE, or /set system TEXT");
                }

                continue;
            }

            if (trimmed.StartsWith("/show", StringComparison.Ordinal))
            {
                output.WriteLine(trimmed switch
                {
                    "/show info" => settings.Info?.Invoke() ?? "(no model information)",
                    "/show parameters" => ShowParameters(options),
                    "/show system" => string.IsNullOrEmpty(system) ? "No system message was specified." : system,
                    _ => "Usage: /show info, /show parameters or /show system",
                });
                continue;
            }

            if (trimmed.StartsWith('/') && !trimmed.Contains(' ', StringComparison.Ordinal))
            {
                output.WriteLine($"Unknown command '{trimmed}'. Type /? for help.");
                continue;
            }

            history.Add(new ChatMessage(ChatRole.User, text));
            await AnswerAsync(client, history, output, output, options, settings, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Streams the answer to the last message of <paramref name="history"/> and appends it. When the conversation no
    /// longer fits the context, the oldest exchange is dropped (the system message stays) with a one-line notice, and
    /// the answer is asked for again.
    /// </summary>
    private static async Task AnswerAsync(IChatClient client, List<ChatMessage> history, TextWriter output, TextWriter notices, ChatOptions options, ChatLoopSettings settings, IAnswerCancellation cancellation)
    {
        while (true)
        {
            var answer = new StringBuilder();
            using var answerToken = cancellation.BeginAnswer();
            var clock = Stopwatch.StartNew();
            TimeSpan? firstToken = null;
            UsageDetails? usage = null;
            try
            {
                await foreach (var update in client.GetStreamingResponseAsync(history, options, answerToken.Token).ConfigureAwait(false))
                {
                    if (update.Text.Length > 0)
                    {
                        firstToken ??= clock.Elapsed;
                        answer.Append(update.Text);
                        output.Write(update.Text);
                        output.Flush();
                    }

                    usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details ?? usage;
                }
            }
            catch (OperationCanceledException)
            {
                output.Write(" (stopped)");
            }
            catch (ContextLimitExceededException e)
            {
                // Keep the system message and the new message; drop the oldest exchange before it.
                var firstTurn = history.FindIndex(m => m.Role != ChatRole.System);
                if (firstTurn >= 0 && firstTurn < history.Count - 1)
                {
                    var next = history.FindIndex(firstTurn + 1, m => m.Role == ChatRole.User);
                    var end = next < 0 || next >= history.Count - 1 ? history.Count - 1 : next;
                    history.RemoveRange(firstTurn, end - firstTurn);
                    notices.WriteLine($"(the conversation outgrew the {e.ContextLength}-token context: dropped the oldest exchange)");
                    continue;
                }

                history.RemoveAt(history.Count - 1);
                notices.WriteLine($"(this message alone does not fit the {e.ContextLength}-token context; shorten it, or start with a larger --ctx)");
                return;
            }

            output.WriteLine();
            history.Add(new ChatMessage(ChatRole.Assistant, answer.ToString()));
            if (settings.Verbose)
            {
                notices.WriteLine(Stats(usage, firstToken ?? clock.Elapsed, clock.Elapsed));
            }

            return;
        }
    }

    private static string Stats(UsageDetails? usage, TimeSpan promptTime, TimeSpan total)
    {
        var c = CultureInfo.InvariantCulture;
        var promptTokens = usage?.InputTokenCount ?? 0;
        var generated = usage?.OutputTokenCount ?? 0;
        var generation = total - promptTime;
        return string.Create(c, $"prompt eval count: {promptTokens} token(s), rate: {(promptTime.TotalSeconds > 0 ? promptTokens / promptTime.TotalSeconds : 0):F2} tokens/s; eval count: {generated} token(s), rate: {(generation.TotalSeconds > 0 && generated > 1 ? (generated - 1) / generation.TotalSeconds : 0):F2} tokens/s; total {total.TotalSeconds:F2} s");
    }

    private static string SetParameter(ChatOptions options, string name, string value)
    {
        var c = CultureInfo.InvariantCulture;
        bool ok;
        switch (name)
        {
            case "temperature" when float.TryParse(value, NumberStyles.Float, c, out var t) && t >= 0 && float.IsFinite(t):
                options.Temperature = t;
                ok = true;
                break;
            case "top_k" when int.TryParse(value, NumberStyles.Integer, c, out var k) && k >= 0:
                options.TopK = k;
                ok = true;
                break;
            case "top_p" when float.TryParse(value, NumberStyles.Float, c, out var p) && p is > 0 and <= 1:
                options.TopP = p;
                ok = true;
                break;
            case "seed" when long.TryParse(value, NumberStyles.Integer, c, out var seed):
                options.Seed = seed;
                ok = true;
                break;
            case "num_predict" when int.TryParse(value, NumberStyles.Integer, c, out var n) && n > 0:
                options.MaxOutputTokens = n;
                ok = true;
                break;
            case "presence_penalty" when float.TryParse(value, NumberStyles.Float, c, out var pp) && float.IsFinite(pp):
                options.PresencePenalty = pp;
                ok = true;
                break;
            case "frequency_penalty" when float.TryParse(value, NumberStyles.Float, c, out var fp) && float.IsFinite(fp):
                options.FrequencyPenalty = fp;
                ok = true;
                break;
            default:
                return s_parameters.Contains(name)
                    ? $"Invalid value '{value}' for {name}."
                    : $"Unknown parameter '{name}'; one of {string.Join(", ", s_parameters)}.";
        }

        return ok ? $"Set parameter '{name}' to '{value}'" : string.Empty;
    }

    private static string ShowParameters(ChatOptions options)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        void Add(string name, object? value)
        {
            if (value is not null)
            {
                lines.Add(string.Create(c, $"{name,-20} {value}"));
            }
        }

        Add("temperature", options.Temperature);
        Add("top_k", options.TopK);
        Add("top_p", options.TopP);
        Add("seed", options.Seed);
        Add("num_predict", options.MaxOutputTokens);
        Add("presence_penalty", options.PresencePenalty);
        Add("frequency_penalty", options.FrequencyPenalty);
        return lines.Count == 0 ? "No parameters set: the defaults apply." : "Parameters:\n" + string.Join('\n', lines);
    }

    private static string Info(string path, int contextLength)
    {
        using var gguf = Gguf.GgufFile.Open(path);
        var info = ModelInfo.Describe(gguf.Header, contextLength);
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        ModelInfo.Print(info, text);
        return text.ToString().TrimEnd();
    }

    private static void Reset(List<ChatMessage> history, string? system, bool keepTurns = false)
    {
        if (keepTurns)
        {
            history.RemoveAll(m => m.Role == ChatRole.System);
        }
        else
        {
            history.Clear();
        }

        if (!string.IsNullOrEmpty(system))
        {
            history.Insert(0, new ChatMessage(ChatRole.System, system));
        }
    }

    /// <summary>Reads one message: a line, lines joined by a trailing backslash, or a block between triple quotes.</summary>
    private static async Task<string?> ReadMessageAsync(TextReader input, TextWriter output)
    {
        var first = await input.ReadLineAsync().ConfigureAwait(false);
        if (first is null)
        {
            return null;
        }

        var text = new StringBuilder();
        if (first.TrimStart().StartsWith("\"\"\"", StringComparison.Ordinal))
        {
            var rest = first.TrimStart()[3..];
            while (!rest.TrimEnd().EndsWith("\"\"\"", StringComparison.Ordinal))
            {
                text.Append(rest).Append('\n');
                output.Write("... ");
                output.Flush();
                rest = await input.ReadLineAsync().ConfigureAwait(false) ?? "\"\"\"";
            }

            text.Append(rest.TrimEnd()[..^3]);
            return text.ToString().Trim('\n');
        }

        var line = first;
        while (line.EndsWith('\\'))
        {
            text.Append(line, 0, line.Length - 1).Append('\n');
            output.Write("... ");
            output.Flush();
            line = await input.ReadLineAsync().ConfigureAwait(false) ?? string.Empty;
        }

        return text.Append(line).ToString();
    }
}

/// <summary>How the chat loop reports: tokens/s after each answer, and what <c>/show info</c> prints.</summary>
internal sealed class ChatLoopSettings
{
    public bool Verbose { get; init; }

    public Func<string>? Info { get; init; }
}

/// <summary>Hands out a cancellation token per answer; Ctrl+C cancels the current one.</summary>
internal interface IAnswerCancellation
{
    CancellationTokenSource BeginAnswer();
}

/// <summary>Ctrl+C stops the answer being generated and never ends the program (use /bye or end of input).</summary>
internal sealed class CtrlC : IAnswerCancellation, IDisposable
{
    private CancellationTokenSource? _current;

    public CtrlC() => Console.CancelKeyPress += OnCancel;

    public CancellationTokenSource BeginAnswer()
    {
        var source = new CancellationTokenSource();
        Volatile.Write(ref _current, source);
        return source;
    }

    public void Dispose() => Console.CancelKeyPress -= OnCancel;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        var current = Volatile.Read(ref _current);
        try
        {
            current?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The answer finished between the key press and here: nothing to stop.
        }
    }
}
