using System.Runtime.CompilerServices;
using Edgewise.Agents;
using Edgewise.Agents.Storage;
using Edgewise.Server.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.Storage;

/// <summary>
/// The child process of the P01 kill test. When the test host starts with <see cref="DatabaseVariable"/> set, it
/// writes turns and audit rows to that database from several tasks until it is killed, printing
/// <c>ACK session count;</c> after each save returns (an acknowledged turn), and never runs the tests.
/// </summary>
internal static class CrashWriter
{
    public const string DatabaseVariable = "EDGEWISE_P01_DATABASE";

#pragma warning disable CA2255 // The test assembly doubles as the child process of the kill test.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunWhenAsked()
    {
        var path = Environment.GetEnvironmentVariable(DatabaseVariable);
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        try
        {
            Run(path);
            Environment.Exit(0);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
            Environment.Exit(3);
        }
    }

    /// <summary>
    /// Runs on the initializing thread only and blocks on the storage tasks: code of this module must not run on
    /// other threads before the module initializer returns (they would wait for it).
    /// </summary>
    private static void Run(string path)
    {
        var database = SqliteDatabase.OpenAsync(new StorageOptions { DatabasePath = path, CheckOnOpen = false }).GetAwaiter().GetResult();
        var store = new SqliteSessionStore(database);
        var audit = new SqliteAuditLog(database);
        var sessions = new AgentSession[4];
        for (var i = 0; i < sessions.Length; i++)
        {
            sessions[i] = store.GetAsync("w" + i).GetAwaiter().GetResult() ?? new AgentSession("w" + i) { AgentName = "crash" };
        }

        Console.Out.WriteLine("READY;");
        Console.Out.Flush();
        var pending = new Task[sessions.Length * 2];
        while (true)
        {
            for (var i = 0; i < sessions.Length; i++)
            {
                var session = sessions[i];
                var turn = session.Messages.Count / 2;
                session.Messages.Add(new ChatMessage(ChatRole.User, $"question {turn} " + new string('q', turn % 50)));
                session.Messages.Add(new ChatMessage(ChatRole.Assistant, $"answer {turn} " + new string('a', turn % 300)));
                pending[2 * i] = store.SaveAsync(session);
                pending[(2 * i) + 1] = audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, session.Id, "crash", "tool_call", "turn saved"));
            }

            Task.WhenAll(pending).GetAwaiter().GetResult();
            foreach (var session in sessions)
            {
                Console.Out.WriteLine($"ACK {session.Id} {session.Messages.Count};");
            }

            Console.Out.Flush();
        }
    }
}
