using System.CommandLine;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Cli;

/// <summary>The options that say which teacher a command talks to and how (shared by <c>train</c> and <c>eval</c>).</summary>
public sealed class TeacherCliOptions
{
    public Option<string[]> Urls { get; } = new("--teacher")
    {
        Description = "TeacherServer URL(s), replicas of one model (e.g. http://gpu1:5080 http://gpu2:5080); without it a TeacherServer is started here on a free loopback port serving --models",
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<string?> Model { get; } = new("--teacher-model") { Description = "Name of the served model (default: the only model the teacher serves)" };

    public Option<string> ModelsFolder { get; } = new("--models") { Description = "Models folder the auto-started TeacherServer serves", DefaultValueFactory = _ => "models" };

    public Option<int> Threads { get; } = new("--teacher-threads")
    {
        Description = "ONNX Runtime threads of the auto-started TeacherServer, which shares this machine's cores with the trainer (0: ONNX Runtime's default)",
        DefaultValueFactory = _ => 1,
    };

    public Option<string?> ApiKey { get; } = new("--teacher-api-key") { Description = "API key of the teacher servers (sent as X-Api-Key)" };

    public Option<bool> Float16 { get; } = new("--teacher-float16") { Description = "Ask for float16 log-probs: a quarter fewer bytes per answer, about 3 significant digits" };

    public Option<int> Patience { get; } = new("--teacher-patience")
    {
        Description = "Seconds to keep waiting while every teacher replica is down (e.g. restarting) before failing",
        DefaultValueFactory = _ => 600,
    };

    public IEnumerable<Option> All => [Urls, Model, ModelsFolder, Threads, ApiKey, Float16, Patience];

    /// <summary>The client options these options ask for.</summary>
    public TeacherClientOptions Client(ParseResult result)
    {
        int patience = result.GetValue(Patience);
        if (patience < 1) throw new ArgumentException($"--teacher-patience must be ≥ 1 second, got {patience}");
        if (result.GetValue(Threads) < 0) throw new ArgumentException($"--teacher-threads must be ≥ 0, got {result.GetValue(Threads)}");
        return new TeacherClientOptions
        {
            ApiKey = result.GetValue(ApiKey),
            Precision = result.GetValue(Float16) ? LogprobPrecision.Float16 : LogprobPrecision.Float32,
            Patience = TimeSpan.FromSeconds(patience),
        };
    }
}
