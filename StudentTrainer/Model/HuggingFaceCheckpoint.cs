using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A model in a Hugging Face folder: <c>config.json</c> and the weights in <c>model.safetensors</c>, or in shards
/// <c>model-0000N-of-0000M.safetensors</c> listed by <c>model.safetensors.index.json</c>, under Hugging Face's names and
/// layouts, as transformers' <c>save_pretrained</c> writes them and <c>from_pretrained</c> reads them.
/// </summary>
public static class HuggingFaceCheckpoint
{
    /// <summary>The single weights file.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The index of a sharded checkpoint: <c>{"metadata": {"total_size": …}, "weight_map": {tensor: shard file}}</c>.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Largest shard <see cref="Save"/> writes by default: transformers' 5 GB (decimal).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    private const string ShardPattern = "model-*-of-*.safetensors";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The model in <paramref name="folder"/>, its weights upcast to float32 (its configuration keeps the stored
    /// <c>torch_dtype</c>), in eval mode. A folder with <c>config.json</c> and no weights gives a freshly initialised
    /// model (seed torch first for a reproducible one).
    /// </summary>
    /// <exception cref="FileNotFoundException">No <c>config.json</c>, or a shard the index names is missing.</exception>
    /// <exception cref="InvalidDataException">
    /// An unknown model_type or rope type, a missing, extra or misshapen tensor, or a tensor of an unsupported dtype.
    /// </exception>
    public static CausalLm Load(string folder, Device? device = null)
    {
        ModelConfig config = ReadConfig(folder);
        IReadOnlyList<string> files = WeightFiles(folder);
        CausalLm model = config.CreateModel();
        try
        {
            if (files.Count > 0) LoadWeights(model, files, folder);
            if (device is not null) model.to(device);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The configuration in <paramref name="folder"/>'s <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>config.json</c>.</exception>
    public static ModelConfig ReadConfig(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string path = Path.Combine(folder, ModelConfig.FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"no {ModelConfig.FileName} in '{folder}': not a Hugging Face model folder", path);
        return ModelConfig.Read(path);
    }

    /// <summary>
    /// The safetensors files holding <paramref name="folder"/>'s weights: <c>model.safetensors</c> if present (as
    /// transformers prefers it), else the shards of the index; empty when the folder has no weights.
    /// </summary>
    /// <exception cref="FileNotFoundException">The index names a shard that is not in the folder.</exception>
    /// <exception cref="InvalidDataException">The index is malformed, or shards lie there without an index.</exception>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        string single = Path.Combine(folder, WeightsFile);
        if (File.Exists(single)) return [single];
        string index = Path.Combine(folder, IndexFile);
        if (!File.Exists(index))
        {
            if (Directory.Exists(folder) && Directory.EnumerateFiles(folder, ShardPattern).Any())
                throw new InvalidDataException($"'{folder}' has weight shards but no {IndexFile}");
            return [];
        }
        JsonObject? map;
        try
        {
            map = JsonNode.Parse(File.ReadAllText(index))?["weight_map"] as JsonObject;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{index} is not valid JSON: {e.Message}", e);
        }
        if (map is null) throw new InvalidDataException($"{index} has no weight_map object");
        var shards = new List<string>();
        foreach (string shard in map.Select(p => p.Value?.GetValue<string>() ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(folder, shard);
            if (shard.Length == 0 || Path.GetFileName(shard) != shard || !File.Exists(path))
                throw new FileNotFoundException($"{index} names the shard '{shard}', which is not in '{folder}'", path);
            shards.Add(path);
        }
        return shards;
    }

    private static void LoadWeights(CausalLm model, IReadOnlyList<string> files, string folder)
    {
        var targets = new CheckpointTargets(model);
        foreach (string file in files)
        {
            var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach ((string name, SafetensorsEntry entry) in SafetensorsFile.ReadHeader(file))
                if (targets.Claim(name, entry.Dtype, entry.Shape, file) is { } target)
                    claimed[name] = target;
            Dictionary<string, Tensor> tensors = SafetensorsFile.Read(file, claimed.Keys);
            try
            {
                foreach ((string name, string target) in claimed)
                    targets.Fill(target, tensors[name]);
            }
            finally
            {
                foreach (Tensor t in tensors.Values) t.Dispose();
            }
        }
        targets.EnsureComplete(folder);
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="folder"/> as transformers' <c>save_pretrained</c> would:
    /// <c>config.json</c> (with <c>torch_dtype</c> the dtype written) and the weights under Hugging Face's names, a tied
    /// head left out, in one <c>model.safetensors</c> or, when larger than <paramref name="maxShardBytes"/>, in shards
    /// with an index. Weight files of an earlier save that this one does not rewrite are deleted.
    /// </summary>
    /// <param name="dtype">Float32, Float16 or BFloat16; null keeps the model's own dtype.</param>
    /// <param name="maxShardBytes">A shard is closed before a tensor would take it past this size (a larger tensor gets a shard of its own).</param>
    /// <exception cref="ArgumentException">Another dtype, or a shard size below 1.</exception>
    public static void Save(CausalLm model, string folder, ScalarType? dtype = null, long maxShardBytes = DefaultMaxShardBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        ScalarType type = dtype ?? model.parameters().First().dtype;
        string typeName = WeightsDtype.NameOf(type);
        Directory.CreateDirectory(folder);

        var tensors = new List<(string Name, Tensor Tensor)>();
        try
        {
            using (no_grad())
                foreach ((string name, Tensor t) in model.state_dict())
                {
                    using Tensor detached = t.detach();
                    tensors.Add((name, detached.to(type, CPU)));
                }
            List<List<(string Name, Tensor Tensor)>> shards = Shard(tensors, maxShardBytes);
            var written = new List<string>();
            if (shards.Count == 1)
            {
                WriteFile(Path.Combine(folder, WeightsFile), shards[0]);
                written.Add(WeightsFile);
            }
            else
            {
                var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
                for (int i = 0; i < shards.Count; i++)
                {
                    string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                    WriteFile(Path.Combine(folder, file), shards[i]);
                    written.Add(file);
                    foreach ((string name, _) in shards[i]) weightMap[name] = file;
                }
                var index = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(t => SafetensorsFile.ByteSize(t.Tensor)) },
                    ["weight_map"] = new JsonObject(weightMap.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                };
                WriteText(Path.Combine(folder, IndexFile), index.ToJsonString(Indented) + "\n");
                written.Add(IndexFile);
            }
            DeleteStaleWeights(folder, written);
            WriteText(Path.Combine(folder, ModelConfig.FileName), (model.Config with { TorchDtype = typeName }).ToJson() + "\n");
        }
        finally
        {
            foreach ((_, Tensor t) in tensors) t.Dispose();
        }
    }

    private static List<List<(string Name, Tensor Tensor)>> Shard(List<(string Name, Tensor Tensor)> tensors, long maxShardBytes)
    {
        var shards = new List<List<(string, Tensor)>> { new() };
        long size = 0;
        foreach ((string name, Tensor t) in tensors)
        {
            long bytes = SafetensorsFile.ByteSize(t);
            if (size + bytes > maxShardBytes && shards[^1].Count > 0)
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1].Add((name, t));
            size += bytes;
        }
        return shards;
    }

    private static void WriteFile(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        string temporary = path + ".tmp";
        SafetensorsFile.Write(temporary, tensors);
        File.Move(temporary, path, overwrite: true);
    }

    private static void WriteText(string path, string text)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static void DeleteStaleWeights(string folder, IReadOnlyList<string> written)
    {
        IEnumerable<string> candidates = Directory.EnumerateFiles(folder, ShardPattern)
            .Append(Path.Combine(folder, WeightsFile)).Append(Path.Combine(folder, IndexFile));
        foreach (string path in candidates.ToList())
            if (File.Exists(path) && !written.Contains(Path.GetFileName(path)))
                File.Delete(path);
    }
}
