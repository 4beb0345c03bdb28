using Distill.Shared.Onnx;
using static Distill.Shared.Onnx.OnnxProtos;
using static TorchSharp.torch;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Builds the ONNX graph (default domain, opset 17) of a Llama-family causal LM (llama, mistral, qwen2, qwen3) from its
/// Hugging Face state dict, in Optimum's causal-LM layout: inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>position_ids</c> int64, optionally <c>past_key_values.{i}.key|value</c> (B, KV, past, D); outputs <c>logits</c>
/// (B, T, V) float32 and with a past <c>present.{i}.key|value</c> (B, KV, past+T, D), keys after the rotation.
/// The attention mask is <see cref="OnnxAttentionMask"/>'s, as GPT-2's export has it. Linear weights, (out, in) in the state dict, are stored
/// transposed as (in, out) under their own names.
/// </summary>
/// <remarks>
/// Grouped-query attention folds each key-value head's query heads into the query-length axis, (B, KV, G·T, D), so the
/// products read present.* directly (no repeated keys), which keeps the graph in the form the server's
/// past-in-place rewrite recognises. RMSNorm is written as Pow, ReduceMean, Add, Sqrt, Div, Mul, the pattern ONNX
/// Runtime fuses into SimplifiedLayerNormalization.
/// </remarks>
public sealed class LlamaOnnxGraph
{
    private readonly OnnxGraphBuilder _graph = new("distill_llama");
    private readonly StateDictInitializers _weights;
    private readonly LlamaGraphShape _shape;
    private readonly bool _includePast;

    private LlamaOnnxGraph(LlamaGraphShape shape, IReadOnlyDictionary<string, Tensor> parameters, bool includePast)
    {
        _weights = new StateDictInitializers(_graph, parameters);
        _shape = shape;
        _includePast = includePast;
    }

    /// <summary>Builds the ONNX model of the weights <paramref name="parameters"/>, named as in Hugging Face's state dict.</summary>
    /// <param name="shape">The model's dimensions and options.</param>
    /// <param name="parameters">Every parameter of the model (biases only where the model has them); each must be used.</param>
    /// <param name="includePast">Add <c>past_key_values.{i}.key|value</c> inputs and <c>present.{i}.key|value</c> outputs.</param>
    /// <param name="producerVersion">Written as the model's producer version.</param>
    /// <exception cref="InvalidOperationException">A parameter is missing, has the wrong shape, or is left over.</exception>
    public static ModelProto Build(LlamaGraphShape shape, IReadOnlyDictionary<string, Tensor> parameters, bool includePast, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(parameters);
        CheckShape(shape);
        var graph = new LlamaOnnxGraph(shape, parameters, includePast);
        graph.AddGraph();
        IReadOnlyList<string> missed = graph._weights.Unused;
        if (missed.Count > 0)
            throw new InvalidOperationException($"the ONNX graph does not use the parameters {string.Join(", ", missed)}");
        return graph._graph.ToModel(GptOnnxGraph.IrVersion, GptOnnxGraph.Opset, GptOnnxGraph.ProducerName, producerVersion);
    }

    private static void CheckShape(LlamaGraphShape shape)
    {
        if (shape.VocabSize <= 0 || shape.HiddenSize <= 0 || shape.Layers <= 0 || shape.AttentionHeads <= 0 || shape.KeyValueHeads <= 0)
            throw new ArgumentException($"the shape has a size that is not positive: {shape}");
        if (shape.AttentionHeads % shape.KeyValueHeads != 0)
            throw new ArgumentException($"{shape.AttentionHeads} attention heads are not a multiple of {shape.KeyValueHeads} key-value heads");
        if (shape.HeadDim <= 0 || shape.HeadDim % 2 != 0)
            throw new ArgumentException($"head_dim {shape.HeadDim} is not a positive even number");
        if (shape.InverseFrequencies.Length != shape.HeadDim / 2)
            throw new ArgumentException($"{shape.InverseFrequencies.Length} inverse frequencies given; head_dim {shape.HeadDim} needs {shape.HeadDim / 2}");
    }

    private int Heads => _shape.AttentionHeads;
    private int KeyValueHeads => _shape.KeyValueHeads;
    private int Groups => Heads / KeyValueHeads;
    private int HeadDim => _shape.HeadDim;
    private int Width => _shape.HiddenSize;

    private void AddGraph()
    {
        OnnxDimension keyLength = _includePast ? GptOnnxGraph.TotalSequenceDimension : GptOnnxGraph.SequenceDimension;
        _graph.Input("input_ids", DataType.Int64, GptOnnxGraph.BatchDimension, GptOnnxGraph.SequenceDimension);
        _graph.Input("attention_mask", DataType.Int64, GptOnnxGraph.BatchDimension, keyLength);
        _graph.Input("position_ids", DataType.Int64, GptOnnxGraph.BatchDimension, GptOnnxGraph.SequenceDimension);
        if (_includePast)
        {
            for (int i = 0; i < _shape.Layers; i++)
            {
                _graph.Input(PastName(i, "key"), DataType.Float, KeyValueDims(GptOnnxGraph.PastSequenceDimension));
                _graph.Input(PastName(i, "value"), DataType.Float, KeyValueDims(GptOnnxGraph.PastSequenceDimension));
            }
        }
        AddConstants();

        string x = _graph.Node("Gather", "embeddings", [_weights.Parameter("model.embed_tokens.weight"), "input_ids"], Attribute("axis", 0L)); // (B, T, C)
        string allowed = OnnxAttentionMask.AddAllowed(_graph); // (B, 1, T, past+T)
        var (cos, sin) = Rotary();
        for (int i = 0; i < _shape.Layers; i++)
            x = DecoderLayer(i, x, allowed, cos, sin);
        x = RmsNorm("model.norm", x);
        string head = _shape.TiedHead
            ? _graph.Node("Transpose", "lm_head.weight", [_weights.Parameter("model.embed_tokens.weight")], Ints("perm", 1L, 0L)) // (C, V)
            : _weights.TransposedWeight("lm_head.weight", _shape.VocabSize, Width);
        string logits = _graph.Node("MatMul", "logits", [x, head]); // (B, T, V)

        _graph.Output(logits, DataType.Float, GptOnnxGraph.BatchDimension, GptOnnxGraph.SequenceDimension, _shape.VocabSize);
        if (_includePast)
        {
            for (int i = 0; i < _shape.Layers; i++)
            {
                _graph.Output(PresentName(i, "key"), DataType.Float, KeyValueDims(GptOnnxGraph.TotalSequenceDimension));
                _graph.Output(PresentName(i, "value"), DataType.Float, KeyValueDims(GptOnnxGraph.TotalSequenceDimension));
            }
        }
    }

    private OnnxDimension[] KeyValueDims(OnnxDimension length) => [GptOnnxGraph.BatchDimension, KeyValueHeads, length, HeadDim];

    private void AddConstants()
    {
        _graph.FloatScalar("const.attention_scale", (float)(1.0 / Math.Sqrt(HeadDim)));
        _graph.FloatScalar("const.negative_infinity", float.NegativeInfinity);
        _graph.FloatScalar("const.two", 2f);
        _graph.FloatScalar("const.rms_norm_eps", _shape.RmsNormEps);
        _graph.Int64Vector("const.query_heads_shape", 0, 0, Heads, HeadDim);
        _graph.Int64Vector("const.key_value_heads_shape", 0, 0, KeyValueHeads, HeadDim);
        _graph.Int64Vector("const.merged_shape", 0, 0, Heads * HeadDim);
        _graph.Int64Vector("const.grouped_shape", 0, KeyValueHeads, -1, 0);
        _graph.Int64Vector("const.ungrouped_shape", 0, Heads, -1, 0);
        _graph.Int64Vector("const.rotary_halves", HeadDim / 2, HeadDim / 2);
        _graph.Int64Vector("const.axes_2", 2);
    }

    /// <summary>
    /// cos and signed sin of each position's angles, position_ids · inverse frequency, the D/2 frequencies twice over
    /// (rotate_half layout). The sin's first half is negated so that rotate_half(x) · sin = swap_halves(x) · signed sin.
    /// </summary>
    /// <returns>(B, T, 1, D) each, broadcasting over heads.</returns>
    private (string Cos, string SignedSin) Rotary()
    {
        float[] frequencies = [.. _shape.InverseFrequencies, .. _shape.InverseFrequencies];
        float[] signs = Enumerable.Range(0, HeadDim).Select(i => i < HeadDim / 2 ? -1f : 1f).ToArray();
        _graph.FloatInitializer("rotary.inverse_frequencies", frequencies, [HeadDim]);
        _graph.FloatInitializer("rotary.sin_signs", signs, [HeadDim]);
        string positions = _graph.Node("Cast", "rotary.positions", ["position_ids"], Attribute("to", (long)DataType.Float)); // (B, T)
        string column = _graph.Node("Unsqueeze", "rotary.positions_3d", [positions, "const.axes_2"]);                     // (B, T, 1)
        string angles = _graph.Node("Mul", "rotary.angles", [column, "rotary.inverse_frequencies"]);                       // (B, T, D)
        string cos = _graph.Node("Cos", "rotary.cos_3d", [angles]);
        string sin = _graph.Node("Sin", "rotary.sin_3d", [angles]);
        string signedSin = _graph.Node("Mul", "rotary.signed_sin_3d", [sin, "rotary.sin_signs"]);
        return (_graph.Node("Unsqueeze", "rotary.cos", [cos, "const.axes_2"]),                                             // (B, T, 1, D)
            _graph.Node("Unsqueeze", "rotary.signed_sin", [signedSin, "const.axes_2"]));
    }

    /// <param name="x">(B, T, C)</param>
    /// <returns>(B, T, C): x + attn(input_layernorm(x)), then + mlp(post_attention_layernorm(x)).</returns>
    private string DecoderLayer(int layer, string x, string allowed, string cos, string sin)
    {
        string prefix = $"model.layers.{layer}";
        string attention = Attention(layer, RmsNorm($"{prefix}.input_layernorm", x), allowed, cos, sin);
        x = _graph.Node("Add", $"{prefix}.self_attn.residual", [x, attention]);
        string mlp = Mlp($"{prefix}.mlp", RmsNorm($"{prefix}.post_attention_layernorm", x));
        return _graph.Node("Add", $"{prefix}.mlp.residual", [x, mlp]);
    }

    /// <param name="x">(B, T, C), already normalised.</param>
    /// <returns>(B, T, C)</returns>
    private string Attention(int layer, string x, string allowed, string cos, string sin)
    {
        string prefix = $"model.layers.{layer}.self_attn";
        string q = Heads4d($"{prefix}.q", Linear($"{prefix}.q_proj", x, Heads * HeadDim, Width), "const.query_heads_shape");            // (B, T, H, D)
        string k = Heads4d($"{prefix}.k", Linear($"{prefix}.k_proj", x, KeyValueHeads * HeadDim, Width), "const.key_value_heads_shape"); // (B, T, KV, D)
        string v = Heads4d($"{prefix}.v", Linear($"{prefix}.v_proj", x, KeyValueHeads * HeadDim, Width), "const.key_value_heads_shape");
        if (_shape.QkNorm)
        {
            q = RmsNorm($"{prefix}.q_norm", q);
            k = RmsNorm($"{prefix}.k_norm", k);
        }
        q = Rotate($"{prefix}.q_rotated", q, cos, sin);
        k = Rotate($"{prefix}.k_rotated", k, cos, sin);
        q = _graph.Node("Transpose", $"{prefix}.query", [q], Ints("perm", 0L, 2L, 1L, 3L));                                   // (B, H, T, D)
        k = _graph.Node("Transpose", _includePast ? $"{prefix}.new_key" : PresentName(layer, "key"), [k], Ints("perm", 0L, 2L, 1L, 3L)); // (B, KV, T, D)
        v = _graph.Node("Transpose", _includePast ? $"{prefix}.new_value" : PresentName(layer, "value"), [v], Ints("perm", 0L, 2L, 1L, 3L));
        if (_includePast)
        {
            k = _graph.Node("Concat", PresentName(layer, "key"), [PastName(layer, "key"), k], Attribute("axis", 2L));       // (B, KV, past+T, D)
            v = _graph.Node("Concat", PresentName(layer, "value"), [PastName(layer, "value"), v], Attribute("axis", 2L));
        }
        // Query head h reads key-value head h / G: (B, H, T, ·) and (B, KV, G·T, ·) hold the same values in the same order.
        string grouped = Regroup($"{prefix}.query_grouped", q, "const.grouped_shape");                                     // (B, KV, G·T, D)
        string keysT = _graph.Node("Transpose", $"{prefix}.key_transposed", [k], Ints("perm", 0L, 1L, 3L, 2L));            // (B, KV, D, past+T)
        string products = _graph.Node("MatMul", $"{prefix}.grouped_products", [grouped, keysT]);                           // (B, KV, G·T, past+T)
        // Scaled straight after the MatMul, where ONNX Runtime folds the scale and the transpose into one FusedMatMul.
        string scaled = _graph.Node("Mul", $"{prefix}.grouped_scores", [products, "const.attention_scale"]);
        string scores = Regroup($"{prefix}.scores", scaled, "const.ungrouped_shape");                                       // (B, H, T, past+T)
        string masked = _graph.Node("Where", $"{prefix}.masked_scores", [allowed, scores, "const.negative_infinity"]);
        string weights = _graph.Node("Softmax", $"{prefix}.weights", [masked], Attribute("axis", -1L));
        string groupedWeights = Regroup($"{prefix}.grouped_weights", weights, "const.grouped_shape");                      // (B, KV, G·T, past+T)
        string mixed = _graph.Node("MatMul", $"{prefix}.grouped_heads", [groupedWeights, v]);                               // (B, KV, G·T, D)
        string heads = Regroup($"{prefix}.heads", mixed, "const.ungrouped_shape");                                          // (B, H, T, D)
        string merged = _graph.Node("Transpose", $"{prefix}.heads_merged", [heads], Ints("perm", 0L, 2L, 1L, 3L));       // (B, T, H, D)
        string y = _graph.Node("Reshape", $"{prefix}.output", [merged, "const.merged_shape"]);                              // (B, T, H·D)
        return Linear($"{prefix}.o_proj", y, Width, Heads * HeadDim);
    }

    /// <returns>(B, T, heads, D) from (B, T, heads·D).</returns>
    private string Heads4d(string name, string x, string shape) => _graph.Node("Reshape", name, [x, shape]);

    /// <summary>Reshapes between (B, H, T, ·) and (B, KV, G·T, ·); nothing to do without grouping.</summary>
    private string Regroup(string name, string x, string shape) =>
        Groups == 1 ? x : _graph.Node("Reshape", name, [x, shape]);

    /// <param name="x">(B, T, heads, D)</param>
    /// <returns>x · cos + rotate_half(x) · sin, rotate_half(x) = (−x₂, x₁) for the halves x₁, x₂ of head_dim.</returns>
    private string Rotate(string name, string x, string cos, string signedSin)
    {
        string[] halves = _graph.Node("Split", $"{name}.halves", [x, "const.rotary_halves"], outputCount: 2, Attribute("axis", -1L));
        string swapped = _graph.Node("Concat", $"{name}.swapped", [halves[1], halves[0]], Attribute("axis", -1L));
        string cosine = _graph.Node("Mul", $"{name}.cos_part", [x, cos]);
        string sine = _graph.Node("Mul", $"{name}.sin_part", [swapped, signedSin]);
        return _graph.Node("Add", name, [cosine, sine]);
    }

    /// <returns>(B, T, C): down_proj(silu(gate_proj(x)) · up_proj(x)).</returns>
    private string Mlp(string prefix, string x)
    {
        int inner = (int)_weights.Lookup($"{prefix}.gate_proj.weight").shape[0];
        string gate = Linear($"{prefix}.gate_proj", x, inner, Width);                                      // (B, T, I)
        string sigmoid = _graph.Node("Sigmoid", $"{prefix}.gate_sigmoid", [gate]);
        string silu = _graph.Node("Mul", $"{prefix}.gate_silu", [gate, sigmoid]);
        string up = Linear($"{prefix}.up_proj", x, inner, Width);
        string product = _graph.Node("Mul", $"{prefix}.gated", [silu, up]);
        return Linear($"{prefix}.down_proj", product, Width, inner);
    }

    /// <summary>x / sqrt(mean(x², last axis) + ε) · weight, in float32 as transformers computes it.</summary>
    private string RmsNorm(string prefix, string x)
    {
        string square = _graph.Node("Pow", $"{prefix}.square", [x, "const.two"]);
        string meanSquare = _graph.Node("ReduceMean", $"{prefix}.mean_square", [square], Ints("axes", -1L), Attribute("keepdims", 1L));
        string shifted = _graph.Node("Add", $"{prefix}.mean_square_eps", [meanSquare, "const.rms_norm_eps"]);
        string root = _graph.Node("Sqrt", $"{prefix}.root_mean_square", [shifted]);
        string normalised = _graph.Node("Div", $"{prefix}.normalised", [x, root]);
        return _graph.Node("Mul", prefix, [normalised, _weights.Parameter($"{prefix}.weight")]);
    }

    /// <summary>x · Wᵀ + b for W (out, in), stored transposed as (in, out); b only where the state dict has it.</summary>
    private string Linear(string prefix, string x, int outFeatures, int inFeatures)
    {
        string weight = _weights.TransposedWeight($"{prefix}.weight", outFeatures, inFeatures);
        string? bias = _weights.OptionalParameter($"{prefix}.bias");
        string product = _graph.Node("MatMul", bias is null ? prefix : $"{prefix}.matmul", [x, weight]);
        return bias is null ? product : _graph.Node("Add", prefix, [product, bias]);
    }

    private static string PastName(int layer, string kind) => $"past_key_values.{layer}.{kind}";

    private static string PresentName(int layer, string kind) => $"present.{layer}.{kind}";
}
