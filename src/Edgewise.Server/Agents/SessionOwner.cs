using System.Security.Cryptography;
using System.Text;
using Edgewise.Agents;
using Edgewise.Server.Http;
using Edgewise.Server.Security;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Agents;

/// <summary>
/// The owner recorded on a session: a SHA-256 of the caller's API key under a fixed domain prefix, never the key
/// itself (A13). Without API keys every caller is the one local owner.
/// </summary>
internal static class SessionOwner
{
    /// <summary>The owner of sessions created while API keys are off.</summary>
    public const string Local = AgentSession.LocalOwner;

    /// <summary>The owner identity of the request's caller.</summary>
    public static string Of(HttpContext context)
    {
        if (RequestGuard.KeyOf(context) is null)
        {
            return Local;
        }

        var key = ApiKeyValidator.FromAuthorization(context.Request.Headers.Authorization.ToString()) ?? string.Empty;
        return "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("edgewise-session-owner\n" + key)));
    }
}
