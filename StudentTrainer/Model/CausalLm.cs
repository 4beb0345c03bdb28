using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A causal language model of one of the Hugging Face families (<see cref="ModelConfig.ModelType"/>). Its parameter
/// names are Hugging Face's state-dict names and its tensors have Hugging Face's layouts, so a checkpoint loads and
/// saves by name (<see cref="CheckpointName"/> says which names of a checkpoint it ignores or spells differently).
/// </summary>
public abstract class CausalLm : Module<Tensor, Tensor>
{
    protected CausalLm(string name) : base(name)
    {
    }

    /// <summary>The configuration the model was built from (its <c>config.json</c>).</summary>
    public abstract ModelConfig Config { get; }

    /// <summary>Number of distinct parameters (a tied LM head is counted once, with the token embedding).</summary>
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
        Tensor? mask = attentionMask is null && past == 0
            ? null
            : AttentionMask.Build(attentionMask, t, past, inputIds.device);                                   // (B|1, 1, T, past+T)
        return Logits(inputIds, positionIds, mask, cache).MoveToOuterDisposeScope();
    }

    /// <summary>The family's trunk and head.</summary>
    /// <param name="inputIds">(B, T) int64</param>
    /// <param name="positionIds">(B or 1, T) int64</param>
    /// <param name="mask">(B or 1, 1, T, past+T) bool (true = may attend), or null for a plain causal pass without cache.</param>
    /// <param name="cache">Keys and values of earlier positions, extended in place, or null.</param>
    /// <returns>logits (B, T, V)</returns>
    protected abstract Tensor Logits(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache);

    /// <summary>An empty cache for incremental decoding with this model.</summary>
    public KvCache NewCache() => new(Config.Layers);

    /// <summary>
    /// The parameter a checkpoint tensor of this name holds, or null when the tensor is one the family's checkpoints
    /// may carry but the model does not keep (a tied head's copy, legacy buffers). The default is the name itself.
    /// </summary>
    public virtual string? CheckpointName(string name) => name;

    /// <summary>The 2-D weight matrices (decayed by AdamW) and everything else (biases, norms: not decayed).</summary>
    public (IReadOnlyList<Parameter> Decay, IReadOnlyList<Parameter> NoDecay) ParameterGroupsForWeightDecay()
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (Parameter p in parameters())
            (p.dim() >= 2 ? decay : noDecay).Add(p);
        return (decay, noDecay);
    }
}
