using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Distill.Bench.Server;

/// <summary>The real TeacherServer on Kestrel (loopback TCP), in this process.</summary>
public sealed class BenchServer : IDisposable
{
    private readonly WebApplicationFactory<Program> factory;

    public BenchServer(string modelsFolder, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseContentRoot(AppContext.BaseDirectory);
            web.UseSetting("urls", $"http://127.0.0.1:{port}");
            web.UseSetting("TeacherServer:ModelsPath", modelsFolder);
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.UseSetting("Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks", "None");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        factory.UseKestrel();
        factory.StartServer();
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromMinutes(5),
        };
    }

    public HttpClient Client { get; }

    public async Task WaitReadyAsync()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var response = await Client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The server never became ready.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Client.Dispose();
        factory.Dispose();
    }
}
