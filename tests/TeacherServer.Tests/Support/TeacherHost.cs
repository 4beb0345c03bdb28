using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>An in-memory TeacherServer over its own temporary models folder.</summary>
public sealed class TeacherHost : IDisposable
{
    private readonly WebApplicationFactory<Program> factory;

    private TeacherHost(string modelsFolder, IReadOnlyDictionary<string, string?> settings, bool kestrel, TimeProvider? time)
    {
        ModelsFolder = modelsFolder;
        var port = kestrel ? FreePort() : 0;
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.ConfigureLogging(logging => logging.AddProvider(Logs));
            if (kestrel)
            {
                web.UseSetting("urls", $"http://127.0.0.1:{port}");
            }
            web.UseSetting("TeacherServer:ModelsPath", modelsFolder);
            web.UseSetting("TeacherServer:WatchDebounceMilliseconds", "200");
            web.UseSetting("TeacherServer:RescanSeconds", "2");
            web.UseSetting("TeacherServer:IntraOpThreads", "1");
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
            if (time is not null)
            {
                web.ConfigureTestServices(services => services.AddSingleton(time));
            }
        });
        try
        {
            if (kestrel)
            {
                factory.UseKestrel();
                factory.StartServer();
                Address = new Uri($"http://127.0.0.1:{port}");
                Client = new HttpClient { BaseAddress = Address };
            }
            else
            {
                Client = factory.CreateClient();
            }
        }
        catch
        {
            factory.Dispose();
            throw;
        }
    }

    public string ModelsFolder { get; }

    public HttpClient Client { get; }

    /// <summary>The Kestrel address of a host started with <c>kestrel: true</c>, for raw sockets.</summary>
    public Uri? Address { get; }

    /// <summary>Every log entry the host wrote at or above its configured levels.</summary>
    public LogCollector Logs { get; } = new();

    public IServiceProvider Services => factory.Services;

    /// <summary>An in-memory client whose messages pass through <paramref name="handlers"/> (not for a Kestrel host).</summary>
    public HttpClient CreateClient(params DelegatingHandler[] handlers) => factory.CreateDefaultClient(handlers);

    /// <summary>Starts a server after <paramref name="populate"/> has filled the models folder.</summary>
    /// <param name="kestrel">Serve on a loopback port through Kestrel (its limits and data rates apply) instead of in memory.</param>
    /// <param name="time">The server's clock (its batch windows) instead of the system's.</param>
    public static TeacherHost Start(Action<string> populate, IReadOnlyDictionary<string, string?>? settings = null, bool kestrel = false,
        TimeProvider? time = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "distill-srv-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            populate(folder);
            return new TeacherHost(folder, settings ?? new Dictionary<string, string?>(), kestrel, time);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    public async Task<ModelInfo?> FindModelAsync(string name)
    {
        var list = await Client.GetFromJsonAsync<ModelList>("/v1/models");
        return list!.Models.SingleOrDefault(m => m.Name == name);
    }

    /// <summary>Polls GET /v1/models until <paramref name="accept"/> holds for the model (null: absent).</summary>
    public async Task<ModelInfo?> WaitForModelAsync(string name, Func<ModelInfo?, bool> accept, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var model = await FindModelAsync(name);
            if (accept(model))
            {
                return model;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Model {name} did not reach the expected state; last seen: {model}");
            }
            await Task.Delay(50);
        }
    }

    public Task<ModelInfo?> WaitForModelAsync(string name) => WaitForModelAsync(name, m => m is not null);

    /// <summary>Waits until the folder <paramref name="name"/> has been rejected <paramref name="count"/> times in this process.</summary>
    public static async Task WaitForRejectionsAsync(string name, double count, int timeoutSeconds = 30)
    {
        var failures = TeacherMetrics.ModelLoadFailures.WithLabels(name);
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (failures.Value < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the folder {name} was rejected {failures.Value} times, not {count}");
            await Task.Delay(50);
        }
    }

    /// <summary>How often the folder <paramref name="name"/> has been rejected in this process (the metric is process-wide).</summary>
    public static double Rejections(string name) => TeacherMetrics.ModelLoadFailures.WithLabels(name).Value;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Client.Dispose();
        factory.Dispose();
        try
        {
            Directory.Delete(ModelsFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
