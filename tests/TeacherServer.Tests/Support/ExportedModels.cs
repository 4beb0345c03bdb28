using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace Distill.TeacherServer.Tests.Support;

/// <summary>Tiny random GPTs written by the project's exporter, once per test class.</summary>
public sealed class ExportedModels : IDisposable
{
    public ExportedModels()
    {
        Root = Path.Combine(Path.GetTempPath(), "distill-exported-" + Guid.NewGuid().ToString("N")[..12]);
        var tokenizer = Path.Combine(Root, "tokenizer");
        var texts = Enumerable.Repeat("It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.", 4);
        TokenizerFiles.Write(tokenizer, ByteLevelBpeTrainer.Train(texts, new ByteLevelBpeTrainerOptions(300)));
        VocabSize = TokenizerLoader.Load(tokenizer).VocabSize;

        torch.manual_seed(7);
        using var gpt = Gpt2Config.Project(vocab: VocabSize, context: 64, width: 32, layers: 2, heads: 4, dropout: 0).CreateModel();
        gpt.eval();
        Plain = Path.Combine(Root, "plain");
        Optimum = Path.Combine(Root, "optimum");
        OnnxExporter.Export(gpt, tokenizer, Plain, new OnnxExportOptions { IncludeEmptyPastKeyValues = false });
        OnnxExporter.Export(gpt, tokenizer, Optimum, new OnnxExportOptions { IncludeEmptyPastKeyValues = true });

        torch.manual_seed(8);
        using var other = gpt.Config.CreateModel();
        other.eval();
        OtherOptimum = Path.Combine(Root, "other-optimum");
        OnnxExporter.Export(other, tokenizer, OtherOptimum, new OnnxExportOptions { IncludeEmptyPastKeyValues = true });
    }

    /// <summary>Other weights of the same shape, Optimum-style: a new version of a model for hot-swap tests.</summary>
    public string OtherOptimum { get; }

    public string Root { get; }

    public int VocabSize { get; }

    /// <summary>The exporter's plain folder: input_ids, attention_mask, position_ids → logits.</summary>
    public string Plain { get; }

    /// <summary>The same weights with Optimum-style empty past_key_values inputs and present outputs.</summary>
    public string Optimum { get; }

    /// <summary>
    /// Runs <paramref name="body"/> against a batcher (no batch window, no prefix cache) over a session on
    /// <see cref="Plain"/>'s graph, as the server opens it; stops the batcher and closes the session after.
    /// </summary>
    public async Task WithPlainBatcherAsync(string modelName, Func<DynamicBatcher, Task> body)
    {
        using var options = new SessionOptions();
        using var session = TeacherSession.Open(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Plain, "model.onnx"))), "logits", options, null, null);
        var batcher = new DynamicBatcher(session, modelName, maxBatchTokens: 4096, window: TimeSpan.Zero, NullLogger.Instance);
        try
        {
            await body(batcher);
        }
        finally
        {
            await batcher.StopAsync();
        }
    }

    /// <summary>Copies an exported folder into a models folder under <paramref name="name"/>.</summary>
    public static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)), overwrite: true);
        }
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
