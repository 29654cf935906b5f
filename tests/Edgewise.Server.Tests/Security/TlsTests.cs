using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edgewise.Server.Tests.Support;
using OpenAI;
using OpenAI.Chat;

namespace Edgewise.Server.Tests.Security;

/// <summary>TLS when a certificate is configured: a self-signed certificate made here, trusted explicitly by the client.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task Chat_CertificateConfigured_ServesHttpsToAClientTrustingIt()
    {
        using var certificate = SelfSigned();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("secure"), o => o.Certificate = certificate);
        using var http = Trusting(certificate, server.BaseAddress);
        var sdk = new ChatClient("test", new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.BaseAddress, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
        });

        var completion = (await sdk.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken)).Value;
        using var live = await http.GetAsync("/health/live", TestContext.Current.CancellationToken);

        Assert.Equal("https", server.BaseAddress.Scheme);
        Assert.Equal("secure", completion.Content[0].Text);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Get_CertificateConfiguredClientWithoutTrust_HandshakeFails()
    {
        using var certificate = SelfSigned();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => o.Certificate = certificate);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health/live", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Get_CertificateConfiguredPlainHttp_IsNotServed()
    {
        using var certificate = SelfSigned();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"), o => o.Certificate = certificate);
        using var http = new HttpClient { BaseAddress = new UriBuilder(server.BaseAddress) { Scheme = "http" }.Uri };

        var failed = false;
        try
        {
            using var response = await http.GetAsync("/health/live", TestContext.Current.CancellationToken);
            failed = response.StatusCode != HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            failed = true;
        }

        Assert.True(failed);
    }

    [Fact]
    public void Build_CertificateWithoutPrivateKey_Refused()
    {
        using var certificate = SelfSigned();
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        var options = LiveServer.NewOptions();
        options.Certificate = publicOnly;

        Assert.Throws<ServerConfigurationException>(() => EdgewiseServer.Build(options));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A client that trusts exactly <paramref name="certificate"/> and nothing else.</summary>
    private static HttpClient Trusting(X509Certificate2 certificate, Uri baseAddress)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.Thumbprint == certificate.Thumbprint,
        };
        return new HttpClient(handler) { BaseAddress = baseAddress };
    }
}
