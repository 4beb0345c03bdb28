using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A GPT-2 style decoder: token + learned position embeddings, pre-LayerNorm blocks, final LayerNorm and an
/// LM head tied to the token embedding. Parameter names follow GPT-2 (wte, wpe, h.{i}.attn.c_attn, …, ln_f).
/// </summary>
public sealed class Gpt : Module<Tensor, Tensor>
{
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly Dropout drop;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;

    public Gpt(GptConfig config) : base(nameof(Gpt))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        wte = Embedding(config.VocabSize, config.EmbeddingSize);
        wpe = Embedding(config.ContextLength, config.EmbeddingSize);
        drop = Dropout(config.Dropout);
        h = ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new Block(config)).ToArray());
        ln_f = LayerNorm(config.EmbeddingSize, eps: 1e-5, bias: config.Bias);
        RegisterComponents();
        InitialiseWeights();
    }

    public GptConfig Config { get; }

    /// <summary>Number of distinct parameters (the tied LM head is counted once, with the token embedding).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <param name="inputIds">(B, T) int64</param>
    /// <returns>logits (B, T, V)</returns>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds);

    /// <summary>Logits for every position of a batch that may be padded and may continue a cache.</summary>
    /// <param name="inputIds">(B, T) int64 token ids of the new positions.</param>
    /// <param name="attentionMask">(B, past+T), 1 = real token, 0 = padding; null when nothing is padded.</param>
    /// <param name="positionIds">(B, T) int64 positions; null means past, past+1, …</param>
    /// <param name="cache">Keys and values of earlier positions, extended in place; null for a full forward.</param>
    /// <returns>logits (B, T, V)</returns>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        long t = inputIds.shape[1];
        long past = cache?.Length ?? 0;
        if (past + t > Config.ContextLength)
            throw new ArgumentException($"sequence of {past + t} positions exceeds the context length {Config.ContextLength}");

        using var scope = NewDisposeScope();
        positionIds ??= arange(Scalars.Of(past), Scalars.Of(past + t), Scalars.One, ScalarType.Int64, inputIds.device)
            .unsqueeze(0);                                                                                    // (1, T)
        Tensor x = drop.forward(wte.forward(inputIds).add(wpe.forward(positionIds), Scalars.One));            // (B, T, C)
        Tensor? mask = attentionMask is null && past == 0
            ? null
            : AttentionMask.Build(attentionMask, t, past, inputIds.device);                                   // (B|1, 1, T, past+T)
        for (int i = 0; i < h.Count; i++)
            x = h[i].Forward(x, mask, cache, i);
        x = ln_f.forward(x);
        return functional.linear(x, wte.weight!).MoveToOuterDisposeScope();                                    // (B, T, V)
    }

    /// <summary>The 2-D weight matrices (decayed by AdamW) and everything else (biases, norms: not decayed).</summary>
    public (IReadOnlyList<Parameter> Decay, IReadOnlyList<Parameter> NoDecay) ParameterGroupsForWeightDecay()
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (Parameter p in parameters())
            (p.dim() >= 2 ? decay : noDecay).Add(p);
        return (decay, noDecay);
    }

    /// <summary>GPT-2 initialisation: N(0, 0.02) weights, zero biases, residual projections scaled by 1/√(2L).</summary>
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        double residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        foreach ((string name, Parameter p) in named_parameters())
        {
            if (name.StartsWith("ln_", StringComparison.Ordinal) || name.Contains(".ln_", StringComparison.Ordinal))
                continue; // LayerNorm keeps weight 1, bias 0.
            if (name.EndsWith(".bias", StringComparison.Ordinal))
                nn.init.zeros_(p);
            else if (name.EndsWith("c_proj.weight", StringComparison.Ordinal))
                nn.init.normal_(p, 0.0, residualStd);
            else
                nn.init.normal_(p, 0.0, 0.02);
        }
    }
}
