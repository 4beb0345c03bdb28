using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Models;

/// <summary>
/// Reads a model folder's <c>config.json</c> (Hugging Face names, GPT-2 or Llama style) and the optional
/// <c>teacher.json</c>, whose keys override anything: <c>model_file</c> (default: the first of
/// <see cref="ConventionalModelFiles"/> present), <c>logits_output</c>,
/// <c>vocab_size</c> (only the first that many logits are served), <c>context_length</c>, <c>eos_token_id</c>,
/// <c>num_key_value_heads</c>, <c>head_dim</c>. Files it names must lie inside the folder (<see cref="FolderConfinement"/>).
/// </summary>
public static class TeacherManifestReader
{
    public const string DefaultModelFile = "model.onnx";
    public const string ConfigFile = "config.json";
    public const string OverridesFile = "teacher.json";

    /// <summary>Model file names tried in order when teacher.json names none (ours, then Optimum's decoder exports).</summary>
    public static readonly string[] ConventionalModelFiles = [DefaultModelFile, "decoder_model_merged.onnx", "decoder_model.onnx"];

    public static TeacherManifest Read(string folder)
    {
        var config = ReadJson(Path.Combine(folder, ConfigFile));
        var overrides = ReadJson(Path.Combine(folder, OverridesFile));

        var modelFile = String(overrides, "model_file")
            ?? ConventionalModelFiles.FirstOrDefault(name => File.Exists(Path.Combine(folder, name)))
            ?? DefaultModelFile;
        var modelPath = FolderConfinement.Resolve(folder, modelFile, $"{OverridesFile}'s model_file");
        if (!File.Exists(modelPath))
        {
            throw new IncompatibleModelException($"The folder has no {modelFile}.");
        }
        var heads = Int(config, "n_head", "num_attention_heads");
        var width = Int(config, "n_embd", "hidden_size", "d_model");
        var contextLength = Int(overrides, "context_length")
            ?? Int(config, "n_positions", "max_position_embeddings", "n_ctx", "max_seq_len")
            ?? throw new IncompatibleModelException($"The context length is unknown: put n_positions in {ConfigFile} or context_length in {OverridesFile}.");
        if (contextLength <= 0)
        {
            throw new IncompatibleModelException($"The context length {contextLength} is not positive.");
        }
        if (Int(overrides, "vocab_size") is <= 0 and var limit)
        {
            throw new IncompatibleModelException($"{OverridesFile}'s vocab_size {limit} is not positive.");
        }
        return new TeacherManifest(
            Name: Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)),
            Folder: folder,
            ModelPath: modelPath,
            LogitsName: String(overrides, "logits_output") ?? "logits",
            VocabSize: Int(config, "vocab_size"),
            VocabLimit: Int(overrides, "vocab_size"),
            ContextLength: contextLength,
            EosId: Int(overrides, "eos_token_id") ?? Int(config, "eos_token_id"),
            KeyValueHeads: Int(overrides, "num_key_value_heads") ?? Int(config, "num_key_value_heads") ?? heads,
            HeadDim: Int(overrides, "head_dim") ?? Int(config, "head_dim") ?? (heads > 0 && width > 0 ? width / heads : null));
    }

    private static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new IncompatibleModelException($"{Path.GetFileName(path)} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new IncompatibleModelException($"{Path.GetFileName(path)} is not valid JSON: {e.Message}", e);
        }
    }

    private static string? String(JsonObject? json, string key) =>
        json?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The first key present wins; a list (e.g. several eos ids) gives its first element.</summary>
    private static int? Int(JsonObject? json, params string[] keys)
    {
        foreach (var key in keys)
        {
            var node = json?[key];
            if (node is JsonArray { Count: > 0 } array)
            {
                node = array[0];
            }
            if (node is JsonValue value && value.TryGetValue<int>(out var number))
            {
                return number;
            }
        }
        return null;
    }
}
