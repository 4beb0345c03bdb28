using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Model;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Writes one model folder that both Hugging Face's <c>transformers</c> and TeacherServer load: <c>config.json</c> (the
/// student's own, with the tokenizer's special ids and a <c>distill</c> object), <c>model.safetensors</c> (Hugging Face's
/// names and layouts), <c>generation_config.json</c>, the tokenizer files, and <c>model.onnx</c> in Optimum's causal-LM
/// layout, written last and atomically so a folder watcher never sees a half-written model. model.onnx holds the values
/// of model.safetensors (rounded to its dtype, kept in float32).
/// </summary>
public static class OnnxExporter
{
    public const string ModelFile = "model.onnx";
    public const string ConfigFile = ModelConfig.FileName;
    public const string GenerationConfigFile = "generation_config.json";
    /// <summary>Raised when the graph or the folder layout changes (2: Hugging Face names and files).</summary>
    public const string ExporterVersion = "2";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Exports <paramref name="model"/> with the tokenizer in <paramref name="tokenizerFolder"/> to <paramref name="outputFolder"/> (created if needed).</summary>
    /// <exception cref="DirectoryNotFoundException">The tokenizer folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer folder holds no tokenizer files.</exception>
    /// <exception cref="InvalidDataException">The tokenizer is malformed or has more tokens than the model.</exception>
    public static void Export(CausalLm model, string tokenizerFolder, string outputFolder, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        options ??= new OnnxExportOptions();
        string dtype = WeightsDtype.Check(options.WeightsDtype ?? model.Config.TorchDtype);

        LoadedTokenizer tokenizer = TokenizerLoader.Load(tokenizerFolder);
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException(
                $"the tokenizer in '{tokenizerFolder}' has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}");

        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> weights = WeightsDtype.RoundedParameters(model, dtype);
        ModelProto onnx = OnnxGraphs.Build(model.Config, weights, options.IncludeEmptyPastKeyValues, ExporterVersion);
        var distill = new DistillExportInfo
        {
            ExporterVersion = ExporterVersion,
            Opset = GptOnnxGraph.Opset,
            PastKeyValues = options.IncludeEmptyPastKeyValues,
            Parameters = model.ParameterCount,
            TokenizerFingerprint = tokenizer.Fingerprint,
        };

        Directory.CreateDirectory(outputFolder);
        TokenizerFileCopy.CopyInto(tokenizerFolder, outputFolder);
        HuggingFaceCheckpoint.Save(model, outputFolder, WeightsDtype.ScalarTypeOf(dtype));
        byte[] config = ExportedConfig(model.Config with { TorchDtype = dtype }, tokenizer, distill);
        AtomicFile.Write(Path.Combine(outputFolder, ConfigFile), stream => stream.Write(config));
        byte[] generation = GenerationConfig(model.Config, tokenizer);
        AtomicFile.Write(Path.Combine(outputFolder, GenerationConfigFile), stream => stream.Write(generation));
        AtomicFile.Write(Path.Combine(outputFolder, ModelFile), onnx.WriteTo);
    }

    /// <summary>The student's config.json with the tokenizer's end (and begin) ids where it names none, <c>use_cache</c> and <c>distill</c>.</summary>
    private static byte[] ExportedConfig(ModelConfig config, LoadedTokenizer tokenizer, DistillExportInfo distill)
    {
        var extra = new Dictionary<string, JsonElement>(config.Extra ?? [], StringComparer.Ordinal);
        if (tokenizer.EosId is int eos)
        {
            extra.TryAdd("eos_token_id", JsonSerializer.SerializeToElement(eos));
            extra.TryAdd("bos_token_id", JsonSerializer.SerializeToElement(eos));
        }
        extra["use_cache"] = JsonSerializer.SerializeToElement(distill.PastKeyValues);
        extra["distill"] = JsonSerializer.SerializeToElement(distill);
        return System.Text.Encoding.UTF8.GetBytes((config with { Extra = extra }).ToJson());
    }

    /// <summary>Hugging Face's generation_config.json: the special ids generation stops at and starts from.</summary>
    private static byte[] GenerationConfig(ModelConfig config, LoadedTokenizer tokenizer)
    {
        var generation = new JsonObject();
        foreach (string key in new[] { "bos_token_id", "eos_token_id", "pad_token_id" })
            if (config.Extra?.TryGetValue(key, out JsonElement value) == true && value.ValueKind != JsonValueKind.Null)
                generation[key] = JsonNode.Parse(value.GetRawText());
        if (tokenizer.EosId is int eos)
        {
            generation["eos_token_id"] ??= eos;
            generation["bos_token_id"] ??= eos;
        }
        generation["_from_model_config"] = true;
        return JsonSerializer.SerializeToUtf8Bytes(generation, Indented);
    }
}
