using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Edgewise.Cli.Tests;

/// <summary>The real <c>edgewise serve</c> as a child process with its own EDGEWISE_HOME; signals go by kill(2).</summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, _out, parse: true);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, _err, parse: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    /// <summary>Runs edgewise to its exit and returns what it printed.</summary>
    public static async Task<(int Code, string Out, string Err)> RunToExitAsync(string home, params string[] args)
    {
        await using var process = Start(home, args);
        await process.WaitForExitAsync();
        return (process.ExitCode, process.Output, process.Errors);
    }

    /// <summary>Starts edgewise serve and waits until it prints its address.</summary>
    public static async Task<(ServeProcess Process, Uri Address)> StartServerAsync(string home, params string[] args)
    {
        var process = Start(home, args);
        var exited = process._process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var first = await Task.WhenAny(process._listening.Task, exited).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        if (first != process._listening.Task)
        {
            var errors = process.Errors;
            await process.DisposeAsync();
            Assert.Fail("edgewise serve exited before listening: " + errors);
        }

        return (process, await process._listening.Task);
    }

    public static ServeProcess Start(string home, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgewise.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["EDGEWISE_HOME"] = home;
        start.Environment.Remove("EDGEWISE_API_KEYS");
        return new ServeProcess(Process.Start(start)!);
    }

    /// <summary>Sends SIGTERM, as systemd and docker stop do.</summary>
    public void Terminate()
    {
        Assert.Equal(0, Kill(_process.Id, SigTerm));
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash or the OOM killer would; disposing afterwards is still safe.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public Task WaitForExitAsync() => _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line, StringBuilder sink, bool parse)
    {
        if (line is null)
        {
            return;
        }

        lock (sink)
        {
            sink.AppendLine(line);
        }

        const string Marker = "listening on ";
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (parse && at >= 0)
        {
            var url = line[(at + Marker.Length)..].Split(' ')[0];
            _listening.TrySetResult(new Uri(url));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>A temporary directory for EDGEWISE_HOME and config files.</summary>
internal sealed class ServeTempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edgewise-serve-").FullName;

    public string Write(string name, string text)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    public string Copy(string source, string name)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.Copy(source, file);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
