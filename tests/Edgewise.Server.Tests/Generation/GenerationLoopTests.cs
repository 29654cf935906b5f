using Edgewise.Server.Errors;
using Edgewise.Server.Generation;
using Edgewise.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server.Tests.Generation;

/// <summary>
/// <see cref="GenerationLoop"/>: a generation source that fails as it starts (synchronously, before yielding) ends
/// the way one that fails later does: its expected failure is translated into the HTTP error, and nothing is left to
/// dispose; one that yields is read to its end and disposed.
/// </summary>
public sealed class GenerationLoopTests
{
    [Fact]
    public async Task RunAsync_SourceThrowsAsItStarts_TranslatedBeforeTheResponseBegins()
    {
        var context = Context();
        var sink = new RecordingSink();
        var error = await Assert.ThrowsAsync<ApiException>(() => GenerationLoop.RunAsync<string>(
            context,
            _ => throw new ArgumentException("bad input"),
            sink,
            keepAlive: null,
            e => e is ArgumentException a ? ApiException.Invalid(a.Message, param: null) : null));
        Assert.Equal(400, error.Status);
        Assert.Equal("bad input", error.Message);
        Assert.Empty(sink.Updates);
    }

    [Fact]
    public async Task RunAsync_SourceYields_EveryUpdateReachesTheSinkAndTheSourceIsDisposed()
    {
        var context = Context();
        var sink = new RecordingSink();
        var disposed = false;
        async IAsyncEnumerable<string> Source([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
        {
            try
            {
                yield return "a";
                await Task.Yield();
                yield return "b";
            }
            finally
            {
                disposed = true;
            }
        }

        Assert.True(await GenerationLoop.RunAsync(context, Source, sink, keepAlive: null, _ => null));
        Assert.Equal(["a", "b"], sink.Updates);
        Assert.True(disposed);
    }

    private static DefaultHttpContext Context()
    {
        var services = new ServiceCollection().AddSingleton(new ServerState()).BuildServiceProvider();
        return new DefaultHttpContext { RequestServices = services };
    }

    private sealed class RecordingSink : IGenerationSink<string>
    {
        public List<string> Updates { get; } = [];

        public bool Started => Updates.Count > 0;

        public ValueTask UpdateAsync(string update)
        {
            Updates.Add(update);
            return ValueTask.CompletedTask;
        }

        public ValueTask QuietAsync() => ValueTask.CompletedTask;

        public ValueTask FailedAsync(ApiException error, bool shutdown) => ValueTask.CompletedTask;
    }
}
