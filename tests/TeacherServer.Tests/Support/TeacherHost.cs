using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>An in-memory TeacherServer over its own temporary models folder.</summary>
public sealed class TeacherHost : IDisposable
{
    private readonly WebApplicationFactory<Program> factory;

    private TeacherHost(string modelsFolder, IReadOnlyDictionary<string, string?> settings)
    {
        ModelsFolder = modelsFolder;
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("TeacherServer:ModelsPath", modelsFolder);
            web.UseSetting("TeacherServer:WatchDebounceMilliseconds", "200");
            web.UseSetting("TeacherServer:RescanSeconds", "2");
            web.UseSetting("TeacherServer:IntraOpThreads", "1");
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        try
        {
            Client = factory.CreateClient();
        }
        catch
        {
            factory.Dispose();
            throw;
        }
    }

    public string ModelsFolder { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => factory.Services;

    /// <summary>Starts a server after <paramref name="populate"/> has filled the models folder.</summary>
    public static TeacherHost Start(Action<string> populate, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "distill-srv-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            populate(folder);
            return new TeacherHost(folder, settings ?? new Dictionary<string, string?>());
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
