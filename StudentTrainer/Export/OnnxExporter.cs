using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Model;
using Google.Protobuf;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Writes a model folder the TeacherServer (and Hugging Face-style tools) can load: tokenizer files, a GPT-2
/// style <c>config.json</c>, and <c>model.onnx</c> with the weights inside, written last and atomically so a
/// folder watcher never sees a half-written model.
/// </summary>
public static class OnnxExporter
{
    public const string ModelFile = "model.onnx";
    public const string ConfigFile = "config.json";
    /// <summary>Raised when the graph or the folder layout changes.</summary>
    public const string ExporterVersion = "1";

    /// <summary>
    /// Exports <paramref name="model"/> with the tokenizer in <paramref name="tokenizerFolder"/> to
    /// <paramref name="outputFolder"/> (created if needed). model.onnx: inputs <c>input_ids</c>,
    /// <c>attention_mask</c>, <c>position_ids</c> (B, T) int64; output <c>logits</c> (B, T, V) float32.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The tokenizer folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer folder holds no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">The tokenizer is malformed or has more tokens than the model.</exception>
    public static void Export(Gpt model, string tokenizerFolder, string outputFolder, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        options ??= new OnnxExportOptions();

        LoadedTokenizer tokenizer = TokenizerLoader.Load(tokenizerFolder);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException(
                $"the tokenizer in '{tokenizerFolder}' has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}");

        ModelProto onnx = GptOnnxGraph.Build(model, options.IncludeEmptyPastKeyValues, ExporterVersion);
        var config = HuggingFaceGpt2Config.From(model.Config, tokenizer.EosId, new DistillExportInfo
        {
            ExporterVersion = ExporterVersion,
            Opset = GptOnnxGraph.Opset,
            Bias = model.Config.Bias,
            PastKeyValues = options.IncludeEmptyPastKeyValues,
            Parameters = model.ParameterCount,
            TokenizerFingerprint = tokenizer.Fingerprint,
        });

        Directory.CreateDirectory(outputFolder);
        TokenizerFileCopy.CopyInto(tokenizerFolder, outputFolder);
        byte[] configJson = config.ToJsonBytes();
        AtomicFile.Write(Path.Combine(outputFolder, ConfigFile), stream => stream.Write(configJson));
        AtomicFile.Write(Path.Combine(outputFolder, ModelFile), onnx.WriteTo);
    }
}
