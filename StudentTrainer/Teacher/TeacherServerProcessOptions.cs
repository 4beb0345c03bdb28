namespace Distill.StudentTrainer.Teacher;

/// <summary>How <see cref="TeacherServerProcess"/> starts a TeacherServer.</summary>
public sealed record TeacherServerProcessOptions
{
    /// <summary>The folder of model folders to serve.</summary>
    public required string ModelsFolder { get; init; }

    /// <summary>File that receives the server's stdout and stderr (appended; created with its folder).</summary>
    public required string LogFile { get; init; }

    /// <summary>Loopback port to listen on; 0 picks a free one (kept across restarts).</summary>
    public int Port { get; init; }

    /// <summary>ONNX Runtime intra-op threads per session (<c>--threads</c>); null leaves the server's default.</summary>
    public int? Threads { get; init; }

    /// <summary>More command-line arguments for the server, e.g. <c>--max-k 64</c>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>How long to wait for <c>GET /health/ready</c> to answer 200.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The server's entry assembly; by default <c>teacher-server/Distill.TeacherServer.dll</c> under the running application's folder.</summary>
    public string ServerAssembly { get; init; } = DefaultServerAssembly;

    /// <summary>Where the build puts the server: a copy of its output folder in <c>teacher-server/</c> (see StudentTrainer.csproj).</summary>
    public static string DefaultServerAssembly => Path.Combine(AppContext.BaseDirectory, "teacher-server", "Distill.TeacherServer.dll");
}
