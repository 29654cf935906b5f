using Edgewise.Agents.Configuration;
using Edgewise.Agents.Tools;
using Edgewise.Cli.Commands;
using Edgewise.Inference.Runtime;
using Edgewise.Models.Management;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli.Tests;

/// <summary>
/// <c>edgewise chat</c> leases its models from the same hosting layer as <c>edgewise serve</c>, so an entry's
/// <c>context</c>, <c>parallel</c>, <c>kv_cache</c> and <c>mlock</c> reach the engine (the CLI used to build an F16
/// cache of one sequence whatever the file said, and never locked the weights).
/// </summary>
public sealed class CliModelSettingsTests
{
    private static string Phi4 => SharedPaths.ReferenceFile("models", "ref-phi4-Q4_K_M.gguf");

    [Fact]
    public void Get_EntryWithKvCacheParallelAndContext_TheEngineRunsWithThem()
    {
        var config = Parse($"""
            models:
              small:
                path: {Phi4}
                context: 192
                threads: 1
                parallel: 3
                kv_cache: f32
            agents:
              helper:
                model: small
            """);
        using var clients = new AgentModelClients(config, new CliConsole(new StringWriter(), new StringWriter()), TestContext.Current.CancellationToken);

        var context = ContextOf(clients.Get("small"));

        Assert.Equal(KvCacheType.F32, context.KvCacheType);
        Assert.Equal(3, context.SequenceCount);
        Assert.Equal(192, context.ContextLength);
    }

    [Fact]
    public void Get_EntryWithoutSettings_KeepsTheDefaults()
    {
        var config = Parse($"""
            models:
              small:
                path: {Phi4}
            agents:
              helper:
                model: small
            """);
        using var clients = new AgentModelClients(config, new CliConsole(new StringWriter(), new StringWriter()), TestContext.Current.CancellationToken);

        var context = ContextOf(clients.Get("small"));

        Assert.Equal(KvCacheType.F16, context.KvCacheType);
        Assert.Equal(1, context.SequenceCount);
        Assert.True(context.ContextLength is > 0 and <= ContextOptions.DefaultMaxContextLength);
    }

    [Fact]
    public void Lease_EntryWithMlock_LocksTheWeightsOrWarnsAndStillAnswers()
    {
        var config = Parse($"""
            models:
              small:
                path: {Phi4}
                context: 64
                mlock: true
            agents:
              helper:
                model: small
            """);
        var errors = new StringWriter();
        using var host = CliModelHost.ForConfiguration(config, new CliConsole(new StringWriter(), errors), TestContext.Current.CancellationToken);

        var lease = host.Lease("small");

        var locked = Assert.IsAssignableFrom<ILockedMemory>(lease.Model).LockedBytes;
        var warned = errors.ToString().Contains("warning: mlock of model 'small'", StringComparison.Ordinal);
        Assert.True(locked > 0 ^ warned, $"locked {locked} bytes, stderr: {errors}");
        Assert.NotNull(ContextOf(lease.ChatClient));
    }

    [Fact]
    public void Lease_SameModelTwice_LoadsItOnce()
    {
        var config = Parse($"""
            models:
              small:
                path: {Phi4}
                context: 64
            agents:
              helper:
                model: small
            """);
        using var host = CliModelHost.ForConfiguration(config, new CliConsole(new StringWriter(), new StringWriter()), TestContext.Current.CancellationToken);

        Assert.Same(host.Get("small"), host.Get("small"));
    }

    private static Context ContextOf(IChatClient client) => Assert.IsType<Context>(client.GetService(typeof(Context)));

    private static EdgewiseConfig Parse(string yaml) =>
        EdgewiseConfig.Parse(yaml, Path.Combine(Path.GetTempPath(), "edgewise.yaml"), new ToolRegistry());
}
