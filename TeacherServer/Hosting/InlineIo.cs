namespace Distill.TeacherServer.Hosting;

/// <summary>
/// Kestrel's and the socket layer's inline scheduling: the thread that sees a socket become readable parses the request
/// and runs the handler up to its first wait, and a handler's writes are sent on the writing thread. A small top-k
/// request then crosses two threads (the socket's and the batcher's) instead of five or six; each crossing wakes a
/// sleeping thread, which on a 2-core VM costs tens of microseconds. It is safe here because handlers never block: ORT
/// runs on the batcher's thread, and large answers are encoded on the thread pool (<see cref="Batching.DynamicBatcher"/>).
/// </summary>
public static class InlineIo
{
    private const string SocketsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The InlineIo setting as configured (default true); a value that is not a boolean is left for option validation to report.</summary>
    public static bool IsEnabled(IConfiguration configuration) =>
        !bool.TryParse(configuration[$"{TeacherServerOptions.Section}:{nameof(TeacherServerOptions.InlineIo)}"], out var enabled) || enabled;

    /// <summary>Must run before the first socket is opened: the socket layer reads its switch once.</summary>
    public static void Enable(IWebHostBuilder host)
    {
        if (Environment.GetEnvironmentVariable(SocketsVariable) is null)
        {
            Environment.SetEnvironmentVariable(SocketsVariable, "1");
        }
        host.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
    }
}
