using Distill.StudentTrainer.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>Which Linear layers of a Llama-family model have biases.</summary>
public enum LlamaBiases
{
    /// <summary>None (llama, mistral, qwen3).</summary>
    None,

    /// <summary>q_proj, k_proj, v_proj (qwen2).</summary>
    QueryKeyValue,

    /// <summary>Every attention and MLP projection (llama with attention_bias and mlp_bias).</summary>
    All,
}

/// <summary>
/// Llama-family state dicts with seeded random weights, named as Hugging Face names them, far from an initialisation
/// (sharp attention, norms away from 1) so a wrong mask, rotation or head grouping moves the logits well past a tolerance.
/// </summary>
public static class RandomLlama
{
    /// <summary>A shape with default-rope inverse frequencies (θ = 10000) for <paramref name="headDim"/>.</summary>
    public static LlamaGraphShape Shape(int vocab, int hidden, int layers, int heads, int keyValueHeads, int headDim, bool qkNorm, bool tied) => new()
    {
        VocabSize = vocab,
        HiddenSize = hidden,
        Layers = layers,
        AttentionHeads = heads,
        KeyValueHeads = keyValueHeads,
        HeadDim = headDim,
        RmsNormEps = 1e-6f,
        InverseFrequencies = Enumerable.Range(0, headDim / 2).Select(i => 1f / MathF.Pow(10000f, 2f * i / headDim)).ToArray(),
        QkNorm = qkNorm,
        TiedHead = tied,
    };

    /// <returns>Every parameter of a model of <paramref name="shape"/>, float32; the caller disposes the tensors.</returns>
    public static Dictionary<string, Tensor> Parameters(LlamaGraphShape shape, int intermediate, LlamaBiases biases, int seed)
    {
        var generator = new Generator((ulong)seed);
        var parameters = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void Matrix(string name, long rows, long columns, double std) => parameters[name] = normal(0, std, [rows, columns], generator: generator);
        void Vector(string name, long size, double mean, double std) => parameters[name] = normal(mean, std, [size], generator: generator);
        void Linear(string name, long outFeatures, long inFeatures, bool bias)
        {
            Matrix($"{name}.weight", outFeatures, inFeatures, 0.3);
            if (bias) Vector($"{name}.bias", outFeatures, 0, 0.1);
        }

        int c = shape.HiddenSize, q = shape.AttentionHeads * shape.HeadDim, kv = shape.KeyValueHeads * shape.HeadDim;
        Matrix("model.embed_tokens.weight", shape.VocabSize, c, 1.0);
        for (int i = 0; i < shape.Layers; i++)
        {
            string layer = $"model.layers.{i}";
            bool attentionBias = biases != LlamaBiases.None;
            Vector($"{layer}.input_layernorm.weight", c, 1, 0.2);
            Linear($"{layer}.self_attn.q_proj", q, c, attentionBias);
            Linear($"{layer}.self_attn.k_proj", kv, c, attentionBias);
            Linear($"{layer}.self_attn.v_proj", kv, c, attentionBias);
            Linear($"{layer}.self_attn.o_proj", c, q, biases == LlamaBiases.All);
            if (shape.QkNorm)
            {
                Vector($"{layer}.self_attn.q_norm.weight", shape.HeadDim, 1, 0.2);
                Vector($"{layer}.self_attn.k_norm.weight", shape.HeadDim, 1, 0.2);
            }
            Vector($"{layer}.post_attention_layernorm.weight", c, 1, 0.2);
            Linear($"{layer}.mlp.gate_proj", intermediate, c, biases == LlamaBiases.All);
            Linear($"{layer}.mlp.up_proj", intermediate, c, biases == LlamaBiases.All);
            Linear($"{layer}.mlp.down_proj", c, intermediate, biases == LlamaBiases.All);
        }
        Vector("model.norm.weight", c, 1, 0.2);
        if (!shape.TiedHead) Matrix("lm_head.weight", shape.VocabSize, c, 0.3);
        return parameters;
    }

    /// <summary>Writes <paramref name="parameters"/>' graph to <c>model.onnx</c> in <paramref name="directory"/> (created if need be).</summary>
    /// <returns>The model file's path.</returns>
    public static string Export(string directory, LlamaGraphShape shape, IReadOnlyDictionary<string, Tensor> parameters, bool includePast)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "model.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(LlamaOnnxGraph.Build(shape, parameters, includePast, "test")));
        return path;
    }

    public static void Dispose(Dictionary<string, Tensor> parameters)
    {
        foreach (Tensor tensor in parameters.Values) tensor.Dispose();
    }
}
