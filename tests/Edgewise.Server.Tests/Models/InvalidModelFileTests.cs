using System.Net;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.Models;

/// <summary>
/// A registered model whose file does not validate when it is loaded (M08, M14): a clear, non-retryable answer
/// (503 <c>model_file_invalid</c> without Retry-After), not the 503 + Retry-After of a busy or loading model.
/// </summary>
public sealed class InvalidModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgewise-invalid-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public async Task InvalidModelFile_LoadedOnRequest_503ModelInvalidWithoutRetryAfter(int length)
    {
        var path = Path.Combine(_dir, "bad.gguf");
        File.WriteAllBytes(path, new byte[length]);
        var options = LiveServer.NewOptions();
        options.Models.Add(new ServerModel("bad", path));
        await using var app = EdgewiseServer.Build(options);
        await app.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await http.PostAsync("/v1/chat/completions", LiveServer.Json(LiveServer.Chat("bad")), TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Null(response.Headers.RetryAfter);
            Assert.Contains("\"code\":\"model_file_invalid\"", body, StringComparison.Ordinal);
            ErrorAssert.NoLeak(body);
        }

        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
