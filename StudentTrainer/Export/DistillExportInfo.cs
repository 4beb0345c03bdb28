using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Export;

/// <summary>The <c>distill</c> object of an exported <c>config.json</c>: how this project wrote the folder.</summary>
public sealed record DistillExportInfo
{
    [JsonPropertyName("exporter_version")] public required string ExporterVersion { get; init; }
    [JsonPropertyName("opset")] public required long Opset { get; init; }
    /// <summary>Whether model.onnx has <c>past_key_values.{i}.key|value</c> inputs and <c>present.*</c> outputs.</summary>
    [JsonPropertyName("past_key_values")] public required bool PastKeyValues { get; init; }
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
    /// <summary>SHA-256 of everything in the tokenizer that decides ids (see <c>LoadedTokenizer.Fingerprint</c>).</summary>
    [JsonPropertyName("tokenizer_fingerprint")] public required string TokenizerFingerprint { get; init; }
}
