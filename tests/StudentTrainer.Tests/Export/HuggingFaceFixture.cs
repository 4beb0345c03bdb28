using System.Text.Json.Nodes;
using Distill.StudentTrainer.Export;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>
/// One Llama-family case of <c>tests/fixtures/huggingface</c>: its config as a <see cref="LlamaGraphShape"/>, its safetensors
/// weights (one file or shards) upcast to float32, and the PyTorch reference's inputs and log-probs (B, T, V).
/// </summary>
public sealed class HuggingFaceFixture : IDisposable
{
    private HuggingFaceFixture(LlamaGraphShape shape, Dictionary<string, Tensor> parameters, TokenBatch batch, float[] logprobs)
    {
        Shape = shape;
        Parameters = parameters;
        Batch = batch;
        Logprobs = logprobs;
    }

    public LlamaGraphShape Shape { get; }

    public Dictionary<string, Tensor> Parameters { get; }

    /// <summary>The reference's input_ids and attention_mask (right-padded), positions 0..T-1 as transformers gives them.</summary>
    public TokenBatch Batch { get; }

    /// <summary>(B, T, V) row-major reference log-probs.</summary>
    public float[] Logprobs { get; }

    public static string Folder(string name) => Path.Combine(RepoRoot.Path, "tests", "fixtures", "huggingface", name);

    public static HuggingFaceFixture Load(string name)
    {
        string folder = Folder(name);
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        int Int(string key) => config[key]!.GetValue<int>();
        int heads = Int("num_attention_heads");
        int headDim = config["head_dim"]?.GetValue<int>() ?? Int("hidden_size") / heads;
        var shape = new LlamaGraphShape
        {
            VocabSize = Int("vocab_size"),
            HiddenSize = Int("hidden_size"),
            Layers = Int("num_hidden_layers"),
            AttentionHeads = heads,
            KeyValueHeads = config["num_key_value_heads"]?.GetValue<int>() ?? heads,
            HeadDim = headDim,
            RmsNormEps = (float)config["rms_norm_eps"]!.GetValue<double>(),
            InverseFrequencies = RopeInverseFrequencies.Of(config, headDim),
            QkNorm = config["model_type"]!.GetValue<string>() == "qwen3",
            TiedHead = config["tie_word_embeddings"]?.GetValue<bool>() ?? false,
        };

        var reference = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "reference.json")))!;
        long[][] ids = reference["input_ids"]!.AsArray().Select(row => row!.AsArray().Select(v => v!.GetValue<long>()).ToArray()).ToArray();
        long[][] mask = reference["attention_mask"]!.AsArray().Select(row => row!.AsArray().Select(v => v!.GetValue<long>()).ToArray()).ToArray();
        float[] logprobs = reference["logprobs"]!.AsArray()
            .SelectMany(row => row!.AsArray().SelectMany(position => position!.AsArray().Select(v => (float)v!.GetValue<double>()))).ToArray();
        int length = ids[0].Length;
        var batch = new TokenBatch(ids.SelectMany(r => r).ToArray(), mask.SelectMany(r => r).ToArray(),
            ids.SelectMany(_ => Enumerable.Range(0, length).Select(t => (long)t)).ToArray(), ids.Length, length,
            mask.Select(r => (int)r.Sum()).ToArray(), new int[ids.Length]);
        if (mask.Any(r => r.SkipWhile(v => v == 1).Any(v => v != 0)))
            throw new InvalidDataException($"{name}: the reference rows are not right-padded");
        return new HuggingFaceFixture(shape, LoadWeights(folder), batch, logprobs);
    }

    /// <summary>model.safetensors, or the shards model.safetensors.index.json names; F16 and BF16 upcast to float32.</summary>
    private static Dictionary<string, Tensor> LoadWeights(string folder)
    {
        string index = Path.Combine(folder, "model.safetensors.index.json");
        string[] files = File.Exists(index)
            ? JsonNode.Parse(File.ReadAllText(index))!["weight_map"]!.AsObject().Select(e => e.Value!.GetValue<string>()).Distinct().ToArray()
            : ["model.safetensors"];
        var parameters = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            foreach (var (name, stored) in Safetensors.LoadStateDict(Path.Combine(folder, file)))
            {
                if (stored.dtype == ScalarType.Float32)
                {
                    parameters.Add(name, stored);
                    continue;
                }
                parameters.Add(name, stored.to_type(ScalarType.Float32));
                stored.Dispose();
            }
        }
        return parameters;
    }

    public void Dispose()
    {
        foreach (Tensor tensor in Parameters.Values) tensor.Dispose();
    }
}
