using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Teacher;
using Distill.StudentTrainer.Tests.Export;

namespace Distill.StudentTrainer.Tests.Teacher;

/// <summary>
/// A tiny random GPT exported into a temporary models folder (as model <see cref="ModelName"/>) and served by a real
/// TeacherServer child process, once per test class.
/// </summary>
public sealed class TeacherServerFixture : IAsyncLifetime
{
    public const string ModelName = "tiny";
    public const int ContextLength = 32;

    private readonly ExportTestFolder folder = new();

    public TeacherServerFixture()
    {
        ModelsFolder = Path.Combine(folder.Root, "models");
        LoadedTokenizer tokenizer = TokenizerLoader.Load(folder.Tokenizer);
        Vocabulary = StudentVocabulary.Of(tokenizer, ExportTestFolder.TokenizerVocabSize);
        using CausalLm gpt = RandomGpt.Create(RandomGpt.Config(ExportTestFolder.TokenizerVocabSize, ContextLength, 32, 2, 4, exactGelu: true), seed: 41);
        OnnxExporter.Export(gpt, folder.Tokenizer, Path.Combine(ModelsFolder, ModelName));
    }

    public string ModelsFolder { get; }

    /// <summary>The vocabulary the served model shares with a student.</summary>
    public StudentVocabulary Vocabulary { get; }

    public TeacherServerProcess Server { get; private set; } = null!;

    /// <summary>A new log file path under the fixture's folder.</summary>
    public string NewLogFile(string name) => Path.Combine(folder.Root, "logs", $"{name}-{Guid.NewGuid():N}.log");

    /// <summary>Starts another server on the same models folder (port 0: a free one).</summary>
    public Task<TeacherServerProcess> StartServerAsync(int port = 0) =>
        TeacherServerProcess.StartAsync(new TeacherServerProcessOptions
        {
            ModelsFolder = ModelsFolder,
            LogFile = NewLogFile("server"),
            Port = port,
            Threads = 1,
            ReadyTimeout = TimeSpan.FromSeconds(60),
        });

    public async Task InitializeAsync() => Server = await StartServerAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        folder.Dispose();
    }
}
