using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// Keys and values of every block for the tokens seen so far, so generation feeds only the new token.
/// Owns its tensors: dispose it when generation ends.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    public KvCache(int layers) => (_keys, _values) = (new Tensor?[layers], new Tensor?[layers]);

    /// <summary>Number of positions already cached.</summary>
    public long Length => _keys[0] is { } k ? k.shape[2] : 0;

    /// <summary>Appends this step's (B, H, T, D) keys and values for one block and returns the full ones.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        Tensor allKeys = _keys[layer] is { } pastK ? cat([pastK, keys], 2) : keys.alias();
        Tensor allValues = _values[layer] is { } pastV ? cat([pastV, values], 2) : values.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = allKeys.DetachFromDisposeScope();
        _values[layer] = allValues.DetachFromDisposeScope();
        return (allKeys, allValues);
    }

    public void Dispose()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = _values[i] = null;
        }
    }
}
