using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Edgewise.Agents.Tests.Mcp;

/// <summary>
/// A real MCP server over streamable HTTP built with the official C# SDK (its <see cref="StreamableHttpServerTransport"/>
/// and <see cref="McpServer"/>), fronted by the BCL's <see cref="HttpListener"/> on loopback, because the SDK's
/// ASP.NET Core package is not on the package mirror. One client session per server; GET (optional server stream)
/// answers 405 as the specification allows.
/// </summary>
internal sealed class McpHttpTestServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly StreamableHttpServerTransport _transport = new();
    private readonly McpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serverLoop;
    private readonly Task _httpLoop;

    public McpHttpTestServer(string concatDescription = "Joins two strings.")
    {
        var port = FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/mcp/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        var tools = new McpServerPrimitiveCollection<McpServerTool>
        {
            McpServerTool.Create(AIFunctionFactory.Create((string first, string second) => first + second, "concat", concatDescription)),
            McpServerTool.Create(AIFunctionFactory.Create((int count) => new string('x', count), "repeat", "Repeats x.")),
        };
        var options = new McpServerOptions { ServerInfo = new Implementation { Name = "edgewise-http-test", Version = "1.0.0" }, ToolCollection = tools };
        _server = McpServer.Create(_transport, options);
        _serverLoop = _server.RunAsync(_stop.Token);
        _httpLoop = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    public int Posts;

    public string? LastAuthorization { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await ((Task)_httpLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _transport.DisposeAsync();
        await ((Task)_serverLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _server.DisposeAsync();
        _listener.Close();
        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            switch (context.Request.HttpMethod)
            {
                case "POST":
                    Interlocked.Increment(ref Posts);
                    LastAuthorization = context.Request.Headers["Authorization"];
                    var message = await JsonSerializer.DeserializeAsync<JsonRpcMessage>(context.Request.InputStream, McpJsonUtilities.DefaultOptions, _stop.Token);
                    response.StatusCode = 200;
                    response.ContentType = "text/event-stream";
                    response.SendChunked = true;
                    if (!await _transport.HandlePostRequestAsync(message!, response.OutputStream, _stop.Token))
                    {
                        response.StatusCode = 202;
                    }

                    break;
                case "DELETE":
                    response.StatusCode = 200;
                    break;
                default:
                    response.StatusCode = 405;
                    break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or JsonException or IOException)
        {
            response.StatusCode = 400;
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }
}
