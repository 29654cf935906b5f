using System.CommandLine;
using System.Text;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Commands;

/// <summary><c>edgewise run FILE</c>: an interactive streaming chat in the terminal.</summary>
internal static class ChatCommand
{
    private const string Help = "Commands: /bye leaves, /clear forgets the conversation, /help shows this. End a line with \\ or wrap text in \"\"\" for several lines. Ctrl+C stops the current answer.";

    public static Command Create(CliConsole console)
    {
        var model = new Argument<string>("model") { Description = "GGUF model file, or a model name or catalog alias (NAME[:QUANT]; pulled when missing)." };
        var system = new Option<string?>("--system") { Description = "System prompt." };
        var temperature = new Option<float?>("--temp") { Description = "Temperature (default 0.8; 0 = greedy)." };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed." };
        var maxTokens = new Option<int?>("-n", "--max-tokens") { Description = "Most tokens per answer." };
        var (ctx, threads, kv) = EngineCommands.RuntimeOptions();
        var command = new Command("run", "Chat with a model in the terminal.") { model, system, temperature, seed, maxTokens, ctx, threads, kv };
        command.SetAction(async (r, cancel) =>
        {
            LocalModel local;
            LocalChatClient client;
            try
            {
                local = EngineCommands.LoadModel(ModelStoreCommands.ResolveModelPath(r.GetValue(model)!, console, cancel));
                var contextOptions = EngineCommands.Options(r, ctx, threads, kv, local, KvCacheType.F16);
                client = new LocalChatClient(local, new LocalChatClientOptions { Context = contextOptions });
            }
            catch (Exception e) when (e is Gguf.InvalidModelFileException or CliException or Models.ModelException)
            {
                return ModelStoreCommands.Guard(console, () => throw e);
            }

            using (local)
            using (client)
            {
                var options = new ChatOptions { Temperature = r.GetValue(temperature), Seed = r.GetValue(seed), MaxOutputTokens = r.GetValue(maxTokens) };
                using var keys = new CtrlC();
                await RunLoopAsync(client, Console.In, console.Out, options, r.GetValue(system), keys).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The read–answer loop; separate from the console so tests can drive it.</summary>
    internal static async Task RunLoopAsync(IChatClient client, TextReader input, TextWriter output, ChatOptions options, string? system, IAnswerCancellation cancellation)
    {
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

            switch (text.Trim())
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

            history.Add(new ChatMessage(ChatRole.User, text));
            var answer = new StringBuilder();
            using var answerToken = cancellation.BeginAnswer();
            try
            {
                await foreach (var update in client.GetStreamingResponseAsync(history, options, answerToken.Token).ConfigureAwait(false))
                {
                    answer.Append(update.Text);
                    output.Write(update.Text);
                    output.Flush();
                }
            }
            catch (OperationCanceledException)
            {
                output.Write(" (stopped)");
            }
            catch (ContextLimitExceededException)
            {
                history.RemoveAt(history.Count - 1);
                output.WriteLine("(the conversation no longer fits the context; /clear starts over)");
                continue;
            }

            output.WriteLine();
            history.Add(new ChatMessage(ChatRole.Assistant, answer.ToString()));
        }
    }

    private static void Reset(List<ChatMessage> history, string? system)
    {
        history.Clear();
        if (!string.IsNullOrEmpty(system))
        {
            history.Add(new ChatMessage(ChatRole.System, system));
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
