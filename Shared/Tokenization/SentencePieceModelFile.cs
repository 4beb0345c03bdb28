using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace Distill.Shared.Tokenization;

/// <summary>A SentencePiece <c>tokenizer.model</c> (a protobuf ModelProto), read by Microsoft.ML.Tokenizers.</summary>
internal static class SentencePieceModelFile
{
    // Field numbers of sentencepiece_model.proto: ModelProto.trainer_spec = 2, TrainerSpec.model_type = 3 (UNIGRAM = 1, BPE = 2).
    private const int TrainerSpecField = 2;
    private const int ModelTypeField = 3;
    private const int Unigram = 1;
    private const int Bpe = 2;

    public static TokenizerDescription Describe(string path)
    {
        var bytes = File.ReadAllBytes(path);
        SentencePieceTokenizer tokenizer;
        using (var stream = new MemoryStream(bytes, writable: false))
        {
            tokenizer = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        var kind = ModelType(bytes) switch
        {
            Bpe => TokenizerKinds.SentencePieceBpe,
            Unigram => TokenizerKinds.SentencePieceUnigram,
            _ => TokenizerKinds.Unknown,
        };
        var description = TokenizerJsonInspector.Of(kind, tokenizer.Vocabulary.ToList(), null);
        return tokenizer.EndOfSentenceId >= 0 ? description with { EosId = tokenizer.EndOfSentenceId } : description;
    }

    /// <summary>TrainerSpec.model_type; UNIGRAM, the proto's default, when the file does not say.</summary>
    private static int ModelType(byte[] bytes)
    {
        var model = new CodedInputStream(bytes);
        uint tag;
        while ((tag = model.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != TrainerSpecField || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                model.SkipLastField();
                continue;
            }
            var spec = new CodedInputStream(model.ReadBytes().ToByteArray());
            while ((tag = spec.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == ModelTypeField && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
                {
                    return spec.ReadEnum();
                }
                spec.SkipLastField();
            }
        }
        return Unigram;
    }
}
