using System.Diagnostics;
using System.Text;

namespace Edgewise.Console.Tests;

/// <summary>The real <c>edgewise serve</c> as a child process with its own EDGEWISE_HOME; its address is read from its first line.</summary>
internal sealed class EdgewiseProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EdgewiseProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <c>edgewise serve ARGS --port 0</c> and waits until it listens.</summary>
    public static async Task<EdgewiseProcess> StartAsync(string home, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgewise.dll"));
        start.ArgumentList.Add("serve");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        start.Environment["EDGEWISE_HOME"] = home;
        start.Environment.Remove("EDGEWISE_API_KEYS");
        start.Environment.Remove("HF_ENDPOINT");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new EdgewiseProcess(Process.Start(start)!);
        var exited = process._process.WaitForExitAsync();
        var first = await Task.WhenAny(process._listening.Task, exited).WaitAsync(TimeSpan.FromMinutes(2));
        if (first != process._listening.Task)
        {
            var output = process.Output;
            await process.DisposeAsync();
            throw new InvalidOperationException("edgewise serve exited before listening: " + output);
        }

        process.Address = await process._listening.Task;
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        const string Marker = "listening on ";
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            _listening.TrySetResult(new Uri(line[(at + Marker.Length)..].Split(' ')[0]));
        }
    }
}
