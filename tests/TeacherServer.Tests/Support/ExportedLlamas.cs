using System.Text.Json.Nodes;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Tests.Export;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>
/// Tiny random Llama-family models written by <see cref="LlamaOnnxGraph"/> in Optimum's layout, each in a folder the
/// server can load (model.onnx, config.json, a byte-level BPE tokenizer), once per test class.
/// </summary>
public sealed class ExportedLlamas : IDisposable
{
    public const int ContextLength = 64;

    public ExportedLlamas()
    {
        Root = Path.Combine(Path.GetTempPath(), "distill-exported-llama-" + Guid.NewGuid().ToString("N")[..12]);
        var tokenizer = Path.Combine(Root, "tokenizer");
        var texts = Enumerable.Repeat("It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.", 4);
        TokenizerFiles.Write(tokenizer, ByteLevelBpeTrainer.Train(texts, new ByteLevelBpeTrainerOptions(300)));
        VocabSize = TokenizerLoader.Load(tokenizer).VocabSize;

        // llama: two query heads per key-value head, untied head; qwen3: four per head, q/k norm, head_dim ≠ hidden/heads, tied head.
        Llama = Write("llama", tokenizer, RandomLlama.Shape(VocabSize, 32, 2, 4, 2, 8, qkNorm: false, tied: false), LlamaBiases.None, seed: 41);
        Qwen3 = Write("qwen3", tokenizer, RandomLlama.Shape(VocabSize, 32, 2, 4, 1, 12, qkNorm: true, tied: true), LlamaBiases.None, seed: 42);
    }

    public string Root { get; }

    public int VocabSize { get; }

    /// <summary>A llama folder: 4 query heads over 2 key-value heads of width 8.</summary>
    public string Llama { get; }

    /// <summary>A qwen3 folder: 4 query heads over 1 key-value head of width 12, q/k norm, tied head.</summary>
    public string Qwen3 { get; }

    private string Write(string modelType, string tokenizer, LlamaGraphShape shape, LlamaBiases biases, int seed)
    {
        var folder = Path.Combine(Root, modelType);
        var parameters = RandomLlama.Parameters(shape, intermediate: 48, biases, seed);
        RandomLlama.Export(folder, shape, parameters, includePast: true);
        RandomLlama.Dispose(parameters);
        var config = new JsonObject
        {
            ["model_type"] = modelType,
            ["vocab_size"] = shape.VocabSize,
            ["hidden_size"] = shape.HiddenSize,
            ["num_hidden_layers"] = shape.Layers,
            ["num_attention_heads"] = shape.AttentionHeads,
            ["num_key_value_heads"] = shape.KeyValueHeads,
            ["head_dim"] = shape.HeadDim,
            ["max_position_embeddings"] = ContextLength,
            ["tie_word_embeddings"] = shape.TiedHead,
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        foreach (var file in Directory.GetFiles(tokenizer))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        return folder;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
