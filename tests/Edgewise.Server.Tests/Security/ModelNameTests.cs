using System.Net;
using System.Text.Json;
using Edgewise.Models.Catalog;
using Edgewise.Models.Import;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;

namespace Edgewise.Server.Tests.Security;

/// <summary>
/// Model names are request input that reaches the model store, which maps names to files: a name that climbs out of
/// the store (<c>..</c>), is absolute, hides a Hugging Face reference with a traversal, or is huge gets a client error
/// on every route that takes one (400 <c>invalid_model_name</c> or 404 <c>model_not_found</c>), never 200 or 500; no
/// file under the store's home is created or changed; and the answer does not echo the name (H18).
/// </summary>
public sealed class ModelNameTests : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("edgewise-names-");

    public void Dispose() => _home.Delete(recursive: true);

    public static TheoryData<string> HostileNames => new()
    {
        "../../../../etc/passwd",
        "hf.co/../../../../etc/passwd",
        "hf.co/owner/../../../x",
        "hf.co/owner/repo:../../x",
        "qwen-ref/../../../x",
        "/etc/passwd",
        "..",
        "./qwen-ref",
        "qwen-ref:../../x",
        "C:\\\\Windows\\\\x",
        "%2e%2e/%2e%2e/x",
        "qwen\u0000ref",
        new string('a', 100_000),
        "hf.co/" + new string('o', 5_000) + "/repo",
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task EveryModelRoute_HostileName_ClientErrorAndNoFileTouched(string name)
    {
        var store = new ModelStore(Path.Combine(_home.FullName, "models"));
        new ModelImporter(store).Import(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"), ModelReference.Parse("qwen-ref"));
        var before = Snapshot();
        var model = ScriptedChatClient.Text("hello");
        await using var server = await LiveServer.StartAsync(model, o =>
        {
            o.Store = store;
            o.FallbackResolver = new StoreModelResolver(store, new ModelManagerOptions());
            o.MaxRequestBodyBytes = 1024 * 1024;
        });
        var quoted = JsonSerializer.Serialize(name);
        (string Route, string Body)[] requests =
        [
            ("/v1/chat/completions", $$"""{"model":{{quoted}},"messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/completions", $$"""{"model":{{quoted}},"prompt":"hi"}"""),
            ("/api/chat", $$"""{"model":{{quoted}},"messages":[{"role":"user","content":"hi"}],"stream":false}"""),
            ("/api/generate", $$"""{"model":{{quoted}},"prompt":"hi","stream":false}"""),
            ("/api/show", $$"""{"model":{{quoted}}}"""),
            ("/api/pull", $$"""{"model":{{quoted}},"stream":false}"""),
        ];

        foreach (var (route, body) in requests)
        {
            using var response = await server.Client.PostAsync(route, LiveServer.Json(body), TestContext.Current.CancellationToken);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{route}: {(int)response.StatusCode} {text}");
            Assert.Matches("invalid_model_name|model_not_found|invalid_value|not_found", text);
            if (name.Length >= 6)
            {
                Assert.DoesNotContain(name, text, StringComparison.Ordinal);
            }
        }

        using (var get = await server.Client.GetAsync("/v1/models/" + Uri.EscapeDataString(name), TestContext.Current.CancellationToken))
        {
            // A name too long for a request line is refused by Kestrel before any code of ours runs (414).
            Assert.True(get.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.RequestUriTooLong, "/v1/models/{id}: " + (int)get.StatusCode);
        }

        Assert.Equal(0, model.Calls);
        Assert.Equal(before, Snapshot());
    }

    /// <summary>Every file under the test's home (the store and its database), with sizes.</summary>
    private string Snapshot() => string.Join('\n', _home.EnumerateFiles("*", SearchOption.AllDirectories)
        .Where(f => !f.Name.EndsWith("-wal", StringComparison.Ordinal) && !f.Name.EndsWith("-shm", StringComparison.Ordinal))
        .Select(f => f.FullName + " " + f.Length).Order(StringComparer.Ordinal));
}
