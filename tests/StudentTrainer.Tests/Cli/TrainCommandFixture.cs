using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>
/// A tiny corpus, a BPE tokenizer trained on it, a tiny random teacher exported into a models folder, and a student
/// configuration: what <c>train</c> needs, made once for a test class.
/// </summary>
public sealed class TrainCommandFixture : IDisposable
{
    public TrainCommandFixture()
    {
        Root = Directory.CreateTempSubdirectory("distill-train-cli-").FullName;
        Data = TinyCorpus.Write(Path.Combine(Root, "data"), chaptersPerBook: 20);
        Tokenizer = Path.Combine(Root, "tokenizer");
        TokenizerFiles.Write(Tokenizer, ByteLevelBpeTrainer.Train(BookCorpus.Load(Data).Texts(CorpusSplit.Train), new ByteLevelBpeTrainerOptions(300)));
        int vocab = TokenizerLoader.Load(Tokenizer).VocabSize;

        Models = Path.Combine(Root, "models");
        TorchSharp.torch.manual_seed(17);
        using var teacher = Gpt2Config.Project(vocab: vocab, context: 32, width: 32, layers: 2, heads: 4, dropout: 0.0).CreateModel();
        teacher.eval();
        OnnxExporter.Export(teacher, Tokenizer, Path.Combine(Models, "tiny-teacher"));

        Student = Path.Combine(Root, "student.json");
        File.WriteAllText(Student, $$"""{"vocab_size": {{vocab}}, "context_length": 32, "n_embd": 16, "n_layer": 1, "n_head": 2}""");
    }

    public string Root { get; }
    public string Data { get; }
    public string Tokenizer { get; }
    public string Models { get; }
    public string Student { get; }

    /// <summary>A task folder of short prompt → response pairs cut by <c>make-tasks</c> from the corpus, in <paramref name="folder"/>.</summary>
    public string MakeTasks(string folder)
    {
        var made = TrainerProcess.Run("make-tasks", "--data", Data, "--tokenizer", Tokenizer, "--out", folder,
            "--train", "40", "--validation", "6", "--test", "4", "--prompt-tokens", "8", "--response-tokens", "8");
        Assert.True(made.ExitCode == 0, made.Stderr);
        return folder;
    }

    /// <summary>The options of a small, fast <c>train</c> run writing to <paramref name="output"/>; <paramref name="extra"/> adds or overrides.</summary>
    public string[] TrainArguments(string output, params string[] extra)
    {
        var options = new List<(string Name, string? Value)>
        {
            ("--models", Models), ("--tokenizer", Tokenizer), ("--student", Student), ("--data", Data), ("--out", output),
            ("--steps", "12"), ("--batch-size", "4"), ("--seq-len", "24"), ("--k", "8"), ("--warmup", "2"), ("--eval-interval", "6"),
            ("--checkpoint-interval", "6"), ("--threads", "1"),
        };
        for (int i = 0; i < extra.Length; i++)
        {
            string? value = i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal) ? extra[++i] : null;
            int at = options.FindIndex(o => o.Name == extra[i - (value is null ? 0 : 1)]);
            (string Name, string? Value) option = (extra[i - (value is null ? 0 : 1)], value);
            if (at >= 0) options[at] = option;
            else options.Add(option);
        }
        return ["train", .. options.SelectMany(o => o.Value is null ? [o.Name] : new[] { o.Name, o.Value })];
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
