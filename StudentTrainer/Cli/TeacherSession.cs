using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.TeacherCache;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// The teacher a command talks to: the replicas at the given URLs, or, without URLs, a TeacherServer started here
/// as a child process on a free loopback port (stopped when the session is disposed).
/// </summary>
public sealed class TeacherSession : IAsyncDisposable
{
    private readonly TeacherServerProcess? _server;

    private TeacherSession(ITeacher teacher, IReadOnlyList<Uri> urls, TeacherServerProcess? server)
    {
        Teacher = teacher;
        Urls = urls;
        _server = server;
    }

    public ITeacher Teacher { get; }

    public IReadOnlyList<Uri> Urls { get; }

    public bool StartedHere => _server is not null;

    /// <param name="logFolder">Where an auto-started server writes <c>teacher-server.log</c>.</param>
    public static async Task<TeacherSession> OpenAsync(IReadOnlyList<string> urls, string? modelName, string modelsFolder, int teacherThreads,
        string logFolder, StudentVocabulary expected, int contextNeeded, TeacherClientOptions client, CancellationToken cancellation)
    {
        TeacherServerProcess? server = null;
        try
        {
            IReadOnlyList<Uri> uris;
            if (urls.Count == 0)
            {
                string models = Path.GetFullPath(CliOptions.RequireFolder(modelsFolder, "models"));
                string log = Path.Combine(logFolder, "teacher-server.log");
                Console.WriteLine($"starting TeacherServer on {models} (log: {log})");
                server = await TeacherServerProcess.StartAsync(models, log, teacherThreads, cancellation);
                uris = [server.BaseAddress];
            }
            else
            {
                uris = urls.Select(ParseUrl).ToArray();
            }
            ITeacher teacher = await TeacherConnector.ConnectAsync(uris, modelName, expected, contextNeeded, client,
                new ConsoleLogger("teacher"), cancellation);
            Console.WriteLine($"teacher: {teacher.Model.Name} version {teacher.Model.Version} at {string.Join(", ", uris)}");
            return new TeacherSession(teacher, uris, server);
        }
        catch
        {
            if (server is not null) await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The teacher of a precomputed cache: no server, only the answers the cache holds (a corpus run's).</summary>
    public static TeacherSession FromCache(string folder, StudentVocabulary expected, int contextNeeded, bool onPairs)
    {
        if (onPairs) throw new ArgumentException("--teacher-cache holds the answers of a corpus run (no --tasks); runs on prompt → response pairs ask a live teacher");
        var teacher = new CachedTeacher(TeacherCacheReader.Open(folder));
        try
        {
            TeacherConnector.Check(new Uri(Path.GetFullPath(folder)), teacher.Model, expected, contextNeeded);
        }
        catch
        {
            teacher.Dispose();
            throw;
        }
        TeacherCacheManifest cache = teacher.Manifest;
        Console.WriteLine($"teacher: {teacher.Model.Name} version {teacher.Model.Version} from the cache {folder} ({cache.Sequences:N0} sequences, "
                          + $"k = {cache.K}, τ = {cache.Temperature}, {cache.Precision.ToString().ToLowerInvariant()} log-probs, {cache.BytesPerPosition:F1} bytes per position)");
        return new TeacherSession(teacher, [], null);
    }

    private static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"--teacher '{url}' is not an http(s) URL");

    public async ValueTask DisposeAsync()
    {
        if (Teacher is IDisposable disposable) disposable.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }
}
