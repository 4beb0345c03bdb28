using Distill.Shared.Onnx;
using Distill.StudentTrainer.Model;
using static Distill.Shared.Onnx.OnnxProtos;
using static TorchSharp.torch;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// Translates a model of the gpt2 family (<see cref="Gpt2LMHeadModel"/>) into an ONNX graph (default domain, opset 17)
/// that computes the same logits as its <see cref="CausalLm.Forward"/>: inputs <c>input_ids</c>, <c>attention_mask</c>,
/// <c>position_ids</c> (B, T) int64, output <c>logits</c> (B, T, V) float32, with the attention mask of
/// <see cref="AttentionMask.Build"/>. Initializers carry Hugging Face's names and layouts (Conv1D weights (in, out), as
/// the model holds them); the LM head reuses <c>transformer.wte.weight</c> through a Transpose that ONNX Runtime folds
/// at load time.
/// </summary>
public sealed class GptOnnxGraph
{
    public const long Opset = 17;
    public const long IrVersion = 8;
    public const string ProducerName = "Distill";

    // Dimension names as Hugging Face Optimum writes them.
    public const string BatchDimension = "batch_size";
    public const string SequenceDimension = "sequence_length";
    public const string PastSequenceDimension = "past_sequence_length";
    public const string TotalSequenceDimension = "past_sequence_length + sequence_length";

    private const string Trunk = "transformer";
    private readonly OnnxGraphBuilder _graph = new("distill_gpt");
    private readonly Gpt2Config _config;
    private readonly StateDictInitializers _weights;
    private readonly bool _includePast;

    private GptOnnxGraph(Gpt2Config config, IReadOnlyDictionary<string, Tensor> parameters, bool includePast)
    {
        _config = config;
        _weights = new StateDictInitializers(_graph, parameters);
        _includePast = includePast;
    }

    /// <summary>Builds the ONNX model of a gpt2-family model with the weights <paramref name="parameters"/> (Hugging Face's names).</summary>
    /// <param name="includePast">Add <c>past_key_values.{i}.key|value</c> inputs and <c>present.{i}.key|value</c> outputs.</param>
    /// <param name="producerVersion">Written as the model's producer version.</param>
    public static ModelProto Build(Gpt2Config config, IReadOnlyDictionary<string, Tensor> parameters, bool includePast, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(parameters);
        var graph = new GptOnnxGraph(config, parameters, includePast);
        graph.AddGraph();
        IReadOnlyList<string> missed = graph._weights.Unused;
        if (missed.Count > 0)
            throw new InvalidOperationException($"the ONNX graph does not use the parameters {string.Join(", ", missed)}");
        return graph._graph.ToModel(IrVersion, Opset, ProducerName, producerVersion);
    }

    private int Heads => _config.Heads;
    private int HeadSize => _config.HeadDim;
    private int Width => _config.EmbeddingSize;

    private void AddGraph()
    {
        OnnxDimension keyLength = _includePast ? TotalSequenceDimension : SequenceDimension;
        _graph.Input("input_ids", DataType.Int64, BatchDimension, SequenceDimension);
        _graph.Input("attention_mask", DataType.Int64, BatchDimension, keyLength);
        _graph.Input("position_ids", DataType.Int64, BatchDimension, SequenceDimension);
        if (_includePast)
        {
            for (int i = 0; i < _config.Layers; i++)
            {
                _graph.Input(PastName(i, "key"), DataType.Float, BatchDimension, Heads, PastSequenceDimension, HeadSize);
                _graph.Input(PastName(i, "value"), DataType.Float, BatchDimension, Heads, PastSequenceDimension, HeadSize);
            }
        }
        AddConstants();

        string x = Embeddings();
        string allowed = OnnxAttentionMask.AddAllowed(_graph);
        for (int i = 0; i < _config.Layers; i++)
            x = Block(i, x, allowed);
        x = LayerNorm($"{Trunk}.ln_f", x);
        string head = _graph.Node("Transpose", "lm_head.weight", [Parameter($"{Trunk}.wte.weight")], Ints("perm", 1L, 0L)); // (C, V)
        string logits = _graph.Node("MatMul", "logits", [x, head]);                                                  // (B, T, V)

        _graph.Output(logits, DataType.Float, BatchDimension, SequenceDimension, _config.VocabSize);
        if (_includePast)
        {
            for (int i = 0; i < _config.Layers; i++)
            {
                _graph.Output(PresentName(i, "key"), DataType.Float, BatchDimension, Heads, TotalSequenceDimension, HeadSize);
                _graph.Output(PresentName(i, "value"), DataType.Float, BatchDimension, Heads, TotalSequenceDimension, HeadSize);
            }
        }
    }

    private void AddConstants()
    {
        _graph.FloatScalar("const.attention_scale", (float)(1.0 / Math.Sqrt(HeadSize)));
        _graph.FloatScalar("const.negative_infinity", float.NegativeInfinity);
        _graph.FloatScalar("const.half", 0.5f);
        _graph.FloatScalar("const.one_float", 1.0f);
        if (_config.ActivationFunction == "gelu")
        {
            _graph.FloatScalar("const.sqrt_half", (float)Math.Sqrt(0.5));
        }
        else
        {
            _graph.FloatScalar("const.sqrt_two_over_pi", (float)Math.Sqrt(2.0 / Math.PI));
            _graph.FloatScalar("const.gelu_cubic", 0.044715f);
        }
        _graph.Int64Vector("const.qkv_split", Width, Width, Width);
        _graph.Int64Vector("const.heads_shape", 0, 0, Heads, HeadSize);
        _graph.Int64Vector("const.merged_shape", 0, 0, Width);
    }

    /// <returns>(B, T, C): token embedding + position embedding.</returns>
    private string Embeddings()
    {
        string tokens = _graph.Node("Gather", "embeddings.tokens", [Parameter($"{Trunk}.wte.weight"), "input_ids"], Attribute("axis", 0L));
        string positions = _graph.Node("Gather", "embeddings.positions", [Parameter($"{Trunk}.wpe.weight"), "position_ids"], Attribute("axis", 0L));
        return _graph.Node("Add", "embeddings", [tokens, positions]);
    }

    /// <param name="x">(B, T, C)</param>
    /// <param name="allowed">(B, 1, T, past+T) bool</param>
    /// <returns>(B, T, C): x + attn(ln_1(x)), then + mlp(ln_2(x)).</returns>
    private string Block(int layer, string x, string allowed)
    {
        string prefix = $"{Trunk}.h.{layer}";
        string attention = Attention(layer, LayerNorm($"{prefix}.ln_1", x), allowed);
        x = _graph.Node("Add", $"{prefix}.attn.residual", [x, attention]);
        string mlp = Mlp($"{prefix}.mlp", LayerNorm($"{prefix}.ln_2", x));
        return _graph.Node("Add", $"{prefix}.mlp.residual", [x, mlp]);
    }

    /// <param name="x">(B, T, C), already normalised.</param>
    /// <returns>(B, T, C)</returns>
    private string Attention(int layer, string x, string allowed)
    {
        string prefix = $"{Trunk}.h.{layer}.attn";
        string qkv = Linear($"{prefix}.c_attn", x);                                                               // (B, T, 3C)
        string[] parts = _graph.Node("Split", $"{prefix}.qkv", [qkv, "const.qkv_split"], outputCount: 3, Attribute("axis", 2L));
        string q = SplitHeads($"{prefix}.query", parts[0]);                                                      // (B, H, T, D)
        string k = SplitHeads(_includePast ? $"{prefix}.new_key" : PresentName(layer, "key"), parts[1]);
        string v = SplitHeads(_includePast ? $"{prefix}.new_value" : PresentName(layer, "value"), parts[2]);
        if (_includePast)
        {
            k = _graph.Node("Concat", PresentName(layer, "key"), [PastName(layer, "key"), k], Attribute("axis", 2L));       // (B, H, past+T, D)
            v = _graph.Node("Concat", PresentName(layer, "value"), [PastName(layer, "value"), v], Attribute("axis", 2L));
        }
        string keysT = _graph.Node("Transpose", $"{prefix}.key_transposed", [k], Ints("perm", 0L, 1L, 3L, 2L));     // (B, H, D, past+T)
        string scores = _graph.Node("MatMul", $"{prefix}.scores", [q, keysT]);                                       // (B, H, T, past+T)
        string scaled = _graph.Node("Mul", $"{prefix}.scaled_scores", [scores, "const.attention_scale"]);
        string masked = _graph.Node("Where", $"{prefix}.masked_scores", [allowed, scaled, "const.negative_infinity"]);
        string weights = _graph.Node("Softmax", $"{prefix}.weights", [masked], Attribute("axis", -1L));
        string heads = _graph.Node("MatMul", $"{prefix}.heads", [weights, v]);                                       // (B, H, T, D)
        string merged = _graph.Node("Transpose", $"{prefix}.heads_merged", [heads], Ints("perm", 0L, 2L, 1L, 3L)); // (B, T, H, D)
        string y = _graph.Node("Reshape", $"{prefix}.output", [merged, "const.merged_shape"]);                        // (B, T, C)
        return Linear($"{prefix}.c_proj", y);
    }

    /// <returns>(B, H, T, D) from (B, T, C).</returns>
    private string SplitHeads(string name, string x)
    {
        string split = _graph.Node("Reshape", $"{name}.split", [x, "const.heads_shape"]);                   // (B, T, H, D)
        return _graph.Node("Transpose", name, [split], Ints("perm", 0L, 2L, 1L, 3L));
    }

    /// <returns>
    /// (B, T, C): c_proj(GELU(c_fc(x))), with the exact GELU 0.5·a·(1 + erf(a/√2)) for <c>gelu</c>, else GPT-2's
    /// 0.5·a·(1 + tanh(√(2/π)·(a + 0.044715·a³))).
    /// </returns>
    private string Mlp(string prefix, string x)
    {
        string a = Linear($"{prefix}.c_fc", x);                                                                 // (B, T, n_inner)
        string onePlus = _config.ActivationFunction == "gelu" ? OnePlusErf(prefix, a) : OnePlusTanh(prefix, a);
        string halfA = _graph.Node("Mul", $"{prefix}.gelu.half_input", [a, "const.half"]);
        string gelu = _graph.Node("Mul", $"{prefix}.gelu", [halfA, onePlus]);
        return Linear($"{prefix}.c_proj", gelu);
    }

    private string OnePlusErf(string prefix, string a)
    {
        string scaled = _graph.Node("Mul", $"{prefix}.gelu.scaled", [a, "const.sqrt_half"]);
        string erf = _graph.Node("Erf", $"{prefix}.gelu.erf", [scaled]);
        return _graph.Node("Add", $"{prefix}.gelu.one_plus", [erf, "const.one_float"]);
    }

    private string OnePlusTanh(string prefix, string a)
    {
        string square = _graph.Node("Mul", $"{prefix}.gelu.square", [a, a]);
        string cube = _graph.Node("Mul", $"{prefix}.gelu.cube", [square, a]);
        string cubic = _graph.Node("Mul", $"{prefix}.gelu.cubic", [cube, "const.gelu_cubic"]);
        string inner = _graph.Node("Add", $"{prefix}.gelu.inner", [a, cubic]);
        string scaled = _graph.Node("Mul", $"{prefix}.gelu.scaled", [inner, "const.sqrt_two_over_pi"]);
        string tanh = _graph.Node("Tanh", $"{prefix}.gelu.tanh", [scaled]);
        return _graph.Node("Add", $"{prefix}.gelu.one_plus", [tanh, "const.one_float"]);
    }

    private string LayerNorm(string prefix, string x)
    {
        List<string> inputs = [x, Parameter($"{prefix}.weight")];
        if (OptionalParameter($"{prefix}.bias") is string bias) inputs.Add(bias);
        return _graph.Node("LayerNormalization", prefix, inputs, Attribute("axis", -1L), Attribute("epsilon", (float)_config.LayerNormEpsilon));
    }

    /// <summary>x · W + b with Conv1D's W stored (in, out).</summary>
    private string Linear(string prefix, string x)
    {
        string weight = Parameter($"{prefix}.weight");
        string? bias = OptionalParameter($"{prefix}.bias");
        string product = _graph.Node("MatMul", bias is null ? prefix : $"{prefix}.matmul", [x, weight]);
        return bias is null ? product : _graph.Node("Add", prefix, [product, bias]);
    }

    private string Parameter(string name) => _weights.Parameter(name);

    private string? OptionalParameter(string name) => _weights.OptionalParameter(name);

    private static string PastName(int layer, string kind) => $"past_key_values.{layer}.{kind}";

    private static string PresentName(int layer, string kind) => $"present.{layer}.{kind}";
}
