using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Edgewise.Server.Tests.Security;

/// <summary>
/// The client side of the H10 scale test as its own process, so that neither process holds both ends of every
/// connection (each end is a file descriptor, and <c>ulimit -n</c> caps a process). When the test host starts with
/// <see cref="Variable"/> = <c>PORT:COUNT</c>, it opens COUNT TCP connections to 127.0.0.1:PORT that never send a
/// byte, prints <c>HELD COUNT</c>, and on each line <c>CHECK</c> read from stdin prints <c>OPEN n</c> with how many
/// are still open; it exits when stdin closes, and never runs the tests. With <see cref="RequestVariable"/> (base64 of
/// raw request bytes) it sends that request on each connection and then never reads (the H15 scale test), with a
/// 1 KiB receive buffer.
/// </summary>
internal static class IdleConnectionHolder
{
    public const string Variable = "EDGEWISE_H10_HOLDER";
    public const string RequestVariable = "EDGEWISE_HOLDER_REQUEST";

#pragma warning disable CA2255 // The test assembly doubles as the idle-connection holder process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunWhenAsked()
    {
        var spec = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(spec))
        {
            return;
        }

        try
        {
            var parts = spec.Split(':');
            Hold(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            Environment.Exit(0);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
            Environment.Exit(3);
        }
    }

    /// <summary>Starts the holder for <paramref name="count"/> connections to <paramref name="port"/>.</summary>
    public static Process Start(int port, int count, byte[]? request = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(IdleConnectionHolder).Assembly.Location);
        if (request is not null)
        {
            start.Environment[RequestVariable] = Convert.ToBase64String(request);
        }

        start.Environment[Variable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Process.Start(start)!;
    }

    /// <summary>Runs on the initializing thread only (synchronous sockets): code of this module must not run on other threads first.</summary>
    private static void Hold(int port, int count)
    {
        var sockets = new List<Socket>(count);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var request = Environment.GetEnvironmentVariable(RequestVariable) is { Length: > 0 } encoded ? Convert.FromBase64String(encoded) : null;
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (request is not null)
            {
                socket.ReceiveBufferSize = 1024;
            }

            socket.Connect(endpoint);
            if (request is not null)
            {
                socket.Send(request);
            }

            sockets.Add(socket);
        }

        Console.Out.WriteLine("HELD " + count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Console.Out.Flush();
        while (Console.In.ReadLine() is { } line)
        {
            if (line == "CHECK")
            {
                // Closed by the server: readable with nothing to read (end of stream) or in error.
                var open = sockets.Count(s => !(s.Poll(0, SelectMode.SelectRead) && s.Available == 0) && !s.Poll(0, SelectMode.SelectError));
                Console.Out.WriteLine("OPEN " + open.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Console.Out.Flush();
            }
        }

        sockets.ForEach(s => s.Dispose());
    }
}
