namespace Edgewise.Agents.Tools;

/// <summary>
/// Which tool-call ids are used as the model gave them. An id becomes part of approval URLs
/// (<c>/v1/sessions/{id}/approvals/{callId}</c>), audit rows and stored sessions, so it must be safe in a URL path
/// segment and short; anything else is replaced with a fresh id before the call is stored or run.
/// </summary>
public static class ToolCallIds
{
    /// <summary>The longest id kept as given.</summary>
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="id"/> is 1 to 64 ASCII letters, digits, '_' or '-'.</summary>
    public static bool IsSafe(string? id)
    {
        if (id is not { Length: > 0 and <= MaxLength })
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
