using System.Net.Http.Headers;
using System.Net.Http.Json;
using Distill.Shared.Wire;

namespace Distill.TeacherServer.Tests.Support;

public static class TopKCalls
{
    public static async Task<TopKResponse> JsonAsync(HttpClient client, string model, TopKRequest request)
    {
        using var response = await client.PostAsJsonAsync($"/v1/models/{model}/topk", request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<TopKResponse>())!;
    }

    public static async Task<TopKResult> BinaryAsync(HttpClient client, string model, TopKRequest request, bool float16 = false, bool compactIds = false)
    {
        using var response = await SendBinaryAsync(client, model, request, float16, compactIds);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(WireMediaTypes.TopKBinary, response.Content.Headers.ContentType?.MediaType);
        return TopKBinaryCodec.DecodeResponse(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Posts a binary request asking for a binary answer; the caller checks and disposes the response.</summary>
    public static async Task<HttpResponseMessage> SendBinaryAsync(HttpClient client, string model, TopKRequest request, bool float16 = false, bool compactIds = false)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{model}/topk")
        {
            Content = new ByteArrayContent(TopKBinaryCodec.EncodeRequest(request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        var accept = new MediaTypeWithQualityHeaderValue(WireMediaTypes.TopKBinary);
        if (float16)
        {
            accept.Parameters.Add(new NameValueHeaderValue(WireMediaTypes.PrecisionParameter, WireMediaTypes.Float16));
        }
        if (compactIds)
        {
            accept.Parameters.Add(new NameValueHeaderValue(WireMediaTypes.IdsParameter, WireMediaTypes.UInt16));
        }
        message.Headers.Accept.Add(accept);
        return await client.SendAsync(message);
    }
}
