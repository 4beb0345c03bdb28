using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.StudentTrainer.TeacherCache;

/// <summary>
/// The key of a cached answer: the first 16 bytes of a SHA-256 over what decides the answer — for a top-k answer the
/// sequence's ids, k and τ; for a generate answer the whole request. Equal keys mean the same question.
/// </summary>
public static class TeacherCacheKey
{
    public static UInt128 TopK(ReadOnlySpan<int> ids, int k, float temperature)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[16];
        "topk"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], k);
        BinaryPrimitives.WriteSingleLittleEndian(header[8..], temperature);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], ids.Length);
        sha.AppendData(header);
        if (BitConverter.IsLittleEndian) sha.AppendData(MemoryMarshal.AsBytes(ids));
        else foreach (int id in ids) sha.AppendData(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(id)));
        return Take(sha);
    }

    public static UInt128 Generate(GenerateRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData("generate"u8);
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(request));
        return Take(sha);
    }

    private static UInt128 Take(IncrementalHash sha)
    {
        Span<byte> hash = stackalloc byte[32];
        sha.GetHashAndReset(hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}
