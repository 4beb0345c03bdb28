using System.Net.Sockets;
using System.Text;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>An HTTP/1.1 upload written by hand, so a test can claim a length and send less, or stop and hang up.</summary>
public sealed class RawUpload : IDisposable
{
    private readonly TcpClient client = new();

    private RawUpload()
    {
    }

    public NetworkStream Stream => client.GetStream();

    /// <summary>Connects and sends the headers of a POST claiming <paramref name="contentLength"/> bytes, then <paramref name="body"/>.</summary>
    public static async Task<RawUpload> StartAsync(Uri server, string path, string contentType, long contentLength, byte[] body)
    {
        var upload = new RawUpload();
        await upload.client.ConnectAsync(server.Host, server.Port);
        var headers = $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength}\r\n\r\n";
        await upload.Stream.WriteAsync(Encoding.ASCII.GetBytes(headers));
        await upload.Stream.WriteAsync(body);
        await upload.Stream.FlushAsync();
        return upload;
    }

    /// <summary>The status line of the answer, or null when the server closed the connection without one.</summary>
    public async Task<string?> ReadStatusLineAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[512];
        var text = new StringBuilder();
        try
        {
            while (!text.ToString().Contains("\r\n", StringComparison.Ordinal))
            {
                var read = await Stream.ReadAsync(buffer, cancel.Token);
                if (read == 0)
                {
                    break;
                }
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
        var all = text.ToString();
        var end = all.IndexOf("\r\n", StringComparison.Ordinal);
        return end > 0 ? all[..end] : null;
    }

    /// <summary>Stops sending and closes the connection, as a client that gave up does.</summary>
    public void HangUp()
    {
        client.Client.Shutdown(SocketShutdown.Both);
        client.Close();
    }

    public void Dispose() => client.Dispose();
}
