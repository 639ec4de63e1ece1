"""The evidence room: the files customers upload (models), their checks (inspect: by the bytes, metadata
stripped), where they are kept (storage, stores), storing them for a draft or a case (uploads), who may see
them (access) and the one blueprint serving them (views). Below the cases: it imports none of them.
inspect, uploads, storage, access and models have no Flask in them; labels words the refusals at the edge.
"""
