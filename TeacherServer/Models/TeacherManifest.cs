namespace Distill.TeacherServer.Models;

/// <summary>What a model folder says about its model, before the model is loaded.</summary>
/// <param name="ModelPath">The ONNX file (model.onnx unless teacher.json names another).</param>
/// <param name="LogitsName">Name of the [B,T,V] logits output.</param>
/// <param name="VocabSize">From config.json; the loaded model's logits width is what counts.</param>
/// <param name="VocabLimit">teacher.json's vocab_size: only the first that many logits are served (exports pad the logits).</param>
/// <param name="KeyValueHeads">Heads of past_key_values, used when the ONNX input does not fix them.</param>
/// <param name="HeadDim">Width of one head, likewise.</param>
public sealed record TeacherManifest(
    string Name,
    string Folder,
    string ModelPath,
    string LogitsName,
    int? VocabSize,
    int? VocabLimit,
    int ContextLength,
    int? EosId,
    int? KeyValueHeads,
    int? HeadDim);
