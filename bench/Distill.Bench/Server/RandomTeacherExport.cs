using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using TorchSharp;

namespace Distill.Bench.Server;

/// <summary>A random teacher-sized GPT exported by the project's exporter, for when no trained model exists.</summary>
public static class RandomTeacherExport
{
    public static (string Folder, string Description, string? Temporary) Export()
    {
        var root = Path.Combine(Path.GetTempPath(), "distill-bench-gpt-" + Guid.NewGuid().ToString("N")[..8]);
        var tokenizer = Path.Combine(root, "tokenizer");
        var folder = Path.Combine(root, "random-gpt");
        // The tokenizer only has to fit in the model's vocabulary; the benchmark sends random ids below 4096.
        string[] texts = ["It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife."];
        TokenizerFiles.Write(tokenizer, ByteLevelBpeTrainer.Train(texts, new ByteLevelBpeTrainerOptions(300)));

        torch.manual_seed(1);
        using var gpt = Gpt2Config.Project(vocab: 4096, context: 256, width: 256, layers: 6, heads: 8, dropout: 0).CreateModel();
        gpt.eval();
        OnnxExporter.Export(gpt, tokenizer, folder);
        return (folder, $"random GPT ({gpt.ParameterCount / 1e6:0.0}M parameters: vocab 4096, context 256, 6 layers, 256 wide, 8 heads) exported to a temp folder", root);
    }
}
